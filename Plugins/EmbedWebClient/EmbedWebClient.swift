import Foundation
import PackagePlugin

/// Embeds every file of the target's `Public/` folder into generated Swift source, so the
/// server binary carries its web client and does not depend on the working directory or on
/// a resource bundle sitting beside it.
@main
struct EmbedWebClient: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let publicFolder = target.directoryURL.appending(path: "Public")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: publicFolder.path())) ?? [])
            .filter { !$0.hasPrefix(".") }
            .sorted()
        let inputs = names.map { publicFolder.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedWebClient.swift")
        return [
            .buildCommand(
                displayName: "Embedding the web client (\(names.count) files)",
                executable: try context.tool(named: "ParleyEmbedTool").url,
                arguments: [output.path()] + inputs.map { $0.path() },
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
