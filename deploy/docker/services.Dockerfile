# cloud_svc and connector_svc from one compile: `--target cloud` or
# `--target connector`; the build stage is the same for both, so the
# second image reuses its cached layers. Build context: the repository root.
# BASE_IMAGE: any Debian 12 (bookworm); a local one where no registry is
# reachable (deploy/compose-test.sh makes one with mmdebstrap).
ARG BASE_IMAGE=debian:12

FROM ${BASE_IMAGE} AS build
# Only what the two service targets need (no gtest, benchmark, clang).
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      cmake ninja-build g++ pkg-config libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev \
      protobuf-compiler libabsl-dev libldap2-dev libssl-dev libsqlite3-dev libyaml-cpp-dev \
      libspdlog-dev libcpp-httplib-dev libpq-dev >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY proto proto
COPY common common
COPY cloud_svc cloud_svc
COPY connector_svc connector_svc
# The service targets and what they link: no tests/, benches or fuzzers.
# -O2 as the test suite's build (RelWithDebInfo) without its debug info;
# a unity build, which halves the compile (CMakeLists.txt).
# BUILD_NICE: the compile's niceness, for a machine that does other work.
ARG BUILD_JOBS=2
ARG BUILD_NICE=0
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DDIRBRIDGE_TESTS=OFF -DDIRBRIDGE_BENCH=OFF \
      -DDIRBRIDGE_UNITY_BUILD=ON >/dev/null \
 && nice -n "${BUILD_NICE}" cmake --build /build -j"${BUILD_JOBS}" --target cloud_svc connector_svc \
 && mkdir /out \
 && strip -o /out/cloud_svc /build/cloud_svc/cloud_svc \
 && strip -o /out/connector_svc /build/connector_svc/connector_svc

# What both services need at run time: the shared libraries and a user.
FROM ${BASE_IMAGE} AS runtime
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libabsl20220623 libldap-2.5-0 libssl3 libsqlite3-0 \
      libyaml-cpp0.7 libspdlog1.10 libcpp-httplib0.11 libpq5 ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

# connector_svc: what an operator runs next to AD (README "Operations").
FROM runtime AS connector
# uid 10001 in both images: the demo stack's bootstrap volume holds the
# registration key as a 0600 file of cloud_svc's user.
RUN useradd --system --uid 10001 --user-group --create-home \
      --home-dir /var/lib/dirbridge-connector dirbridge \
 && chmod 0700 /var/lib/dirbridge-connector
COPY --from=build /out/connector_svc /usr/local/bin/connector_svc
COPY deploy/docker/connector-entrypoint.sh /usr/local/bin/connector-entrypoint.sh
COPY deploy/docker/connector-health.sh /usr/local/bin/connector-health.sh
RUN ldd /usr/local/bin/connector_svc | (! grep 'not found')
USER 10001:10001
WORKDIR /var/lib/dirbridge-connector
VOLUME /var/lib/dirbridge-connector
# Healthy while the tunnel to the cloud is up (the metrics' gauge; the
# config must set metrics_addr).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/connector-health.sh"]
ENTRYPOINT ["/usr/local/bin/connector-entrypoint.sh"]

# cloud_svc.
FROM runtime AS cloud
# The volumes' mount points, so that a new named volume is the user's.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /var/lib/dirbridge dirbridge \
 && install -d -o dirbridge -g dirbridge -m 0700 /var/lib/dirbridge/data /var/lib/dirbridge/bootstrap
COPY --from=build /out/cloud_svc /usr/local/bin/cloud_svc
RUN ldd /usr/local/bin/cloud_svc | (! grep 'not found')
USER 10001:10001
WORKDIR /var/lib/dirbridge
VOLUME /var/lib/dirbridge/data
EXPOSE 50051 50052 9090
# grpc.health.v1 on the backend listener; DIRBRIDGE_PROBE_CA for a TLS one.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD /usr/local/bin/cloud_svc --probe="${DIRBRIDGE_PROBE_ADDR:-127.0.0.1:50051}" \
      ${DIRBRIDGE_PROBE_CA:+--probe_ca="$DIRBRIDGE_PROBE_CA"} || exit 1
ENTRYPOINT ["/usr/local/bin/cloud_svc"]
