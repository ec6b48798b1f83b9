# connector_svc: build on debian:12, run as a non-root user with only the
# runtime libraries. Build context: the repository root.
FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ pkg-config libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev \
      protobuf-compiler libabsl-dev libldap2-dev libssl-dev libsqlite3-dev libyaml-cpp-dev \
      libspdlog-dev libcpp-httplib-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DDIRBRIDGE_TESTS=OFF \
 && cmake --build /build -j2 --target connector_svc

FROM debian:12
# The same uid as cloud_svc's image: the demo stack's bootstrap volume holds
# the registration key as a 0600 file of cloud_svc's user.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libabsl20220623 libldap-2.5-0 libssl3 libsqlite3-0 \
      libyaml-cpp0.7 libspdlog1.10 libcpp-httplib0.11 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /var/lib/dirbridge-connector dirbridge
COPY --from=build /build/connector_svc/connector_svc /usr/local/bin/connector_svc
COPY deploy/docker/connector-entrypoint.sh /usr/local/bin/connector-entrypoint.sh
USER dirbridge
WORKDIR /var/lib/dirbridge-connector
ENTRYPOINT ["/usr/local/bin/connector-entrypoint.sh"]
