# Multi-stage build: compile a static-stdlib release binary, ship it on a slim base.
#   docker build -t parley .
#   docker run --rm -p 8080:8080 parley
FROM swift:6.2-bookworm AS build
# The media engine's DTLS and its SRTP's crypto are Debian's OpenSSL (libsrtp2 is compiled in,
# Sources/CSRTP).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Plugins ./Plugins
COPY bench/EchoServer ./bench/EchoServer
RUN swift build -c release --static-swift-stdlib --product parley \
    && install -D "$(swift build -c release --show-bin-path)/parley" /out/parley

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/parley --create-home parley
COPY --from=build /out/parley /usr/local/bin/parley
USER parley
WORKDIR /var/lib/parley
EXPOSE 8080 3478/tcp 3478/udp 7882/udp
# TURN relays use one UDP port each from this range (--turn-relay-ports): publish it too,
# e.g. docker run -p 8080:8080 -p 3478:3478/udp -p 3478:3478 -p 49160-49200:49160-49200/udp
#      -e PARLEY_TURN_RELAY_PORTS=49160-49200 -e PARLEY_PUBLIC_IP=203.0.113.10 parley
EXPOSE 49152-65535/udp
ENV PARLEY_HOST=0.0.0.0
HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/parley", "serve"]
