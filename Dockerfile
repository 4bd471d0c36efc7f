# leakscope in a small image that runs as non-root.
#
#   docker build -t leakscope:0.1.0 .
#   docker run --rm --pid=host -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
#     -v leakscope-data:/var/lib/leakscope -v $PWD/leakscope.toml:/etc/leakscope/leakscope.toml:ro \
#     -p 127.0.0.1:9464:9464 leakscope:0.1.0
#
# What it needs from the host, and why:
# - --pid=host: the host's processes in /proc. /proc/PID/status and statm are world-readable,
#   so a non-root user can sample every process; nothing more is needed for the default fields.
# - the cgroup tree, read-only, for cgroup targets and OOM-kill counters.
# - --pss (smaps_rollup of other users' processes) needs --cap-add SYS_PTRACE, and heap capture
#   of another user's Node process needs --cap-add KILL plus --network=host to reach the
#   inspector it opens on that process's loopback; add them only for those features.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p leakscope \
 && strip target/release/leakscope \
 && target/release/leakscope man --out /out/man \
 && target/release/leakscope completions bash > /out/leakscope.bash \
 && mkdir -p /out/data

# glibc, libgcc and CA certificates (for https scrapes, webhooks, Prometheus), nothing else;
# the nonroot variant runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/leakscope /usr/local/bin/leakscope
COPY --from=build /out/man /usr/local/share/man/man1
# A commented example; mount your own config at /etc/leakscope/leakscope.toml.
COPY --from=build /src/examples/leakscope.toml /etc/leakscope/leakscope.example.toml
# The store's directory, owned by the user the agent runs as (a named volume copies it).
COPY --from=build --chown=65532:65532 /out/data /var/lib/leakscope
ENV LEAKSCOPE_DB=/var/lib/leakscope/leakscope.db
VOLUME ["/var/lib/leakscope"]
EXPOSE 9464
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/leakscope"]
# Inside a container the listener must face the container's interface to be reachable at all;
# publish it on the host's loopback (-p 127.0.0.1:9464:9464) unless you mean to expose it.
CMD ["watch", "--config", "/etc/leakscope/leakscope.toml", "--listen", "0.0.0.0:9464"]
