import NIOCore

/// Runs Swift tasks on a SwiftNIO event loop.
///
/// A signalling connection's tasks prefer the event loop of its own channel: a frame read
/// there wakes the reading task there, and a text queued for another connection wakes that
/// connection's writer on its loop, which then writes without one more hop. On Swift's shared
/// pool instead, each of those steps woke another thread (bench/RESULTS.md, signalling CPU).
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
