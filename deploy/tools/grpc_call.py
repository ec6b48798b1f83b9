#!/usr/bin/env python3
"""One unary gRPC call to cloud_svc's backend listener, bytes in and out.

Needs Debian's python3-grpcio only: the request is protobuf bytes (empty by
default: every field unset) and the answer is written to stdout as bytes;
`protoc --decode=TYPE` turns it into text. The bearer token is read from a
file, never from argv, and never printed.

  grpc_call.py --addr 127.0.0.1:50051 --ca backend-ca.pem --token_file FILE \\
      dirbridge.v1.Directory/ListNamingContexts \\
    | protoc --decode=dirbridge.v1.ListNamingContextsResponse -I proto \\
        dirbridge/v1/directory.proto

Exit status 0 on OK; otherwise the gRPC code and message on stderr, 1.
"""
import argparse
import sys

import grpc


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--addr", required=True, help="HOST:PORT of the backend listener")
    p.add_argument("--ca", help="PEM CA of a TLS listener; none: plaintext")
    p.add_argument("--token_file", help="file holding the bearer token")
    p.add_argument("--request_hex", default="", help="the request's protobuf bytes, hex")
    p.add_argument("--timeout", type=float, default=10.0, help="deadline, seconds")
    p.add_argument("method", help="package.Service/Method")
    a = p.parse_args()
    if a.ca:
        with open(a.ca, "rb") as f:
            channel = grpc.secure_channel(a.addr, grpc.ssl_channel_credentials(f.read()))
    else:
        channel = grpc.insecure_channel(a.addr)
    metadata = []
    if a.token_file:
        with open(a.token_file) as f:
            metadata.append(("authorization", "Bearer " + f.read().strip()))
    call = channel.unary_unary("/" + a.method, request_serializer=None,
                               response_deserializer=None)
    try:
        answer = call(bytes.fromhex(a.request_hex), metadata=metadata, timeout=a.timeout)
    except grpc.RpcError as e:
        print(f"{a.method}: {e.code().name}: {e.details()}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
