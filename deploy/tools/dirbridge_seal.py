#!/usr/bin/env python3
"""Reference implementation of dirbridge's sealed boxes (README: "Sealed boxes").

A backend in any language can follow this file to seal a password to a
connector (Auth.Authenticate's sealed_password), and a backup worker to open
the ekeys GetEkeys returns. Needs python3-cryptography.

  dirbridge_seal.py seal-password --connector-key HEX --tenant ID --username NAME
      reads the password from stdin (never argv), prints the box as hex.
  dirbridge_seal.py keygen
      prints a fresh X25519 key pair: "private_hex public_hex".
  dirbridge_seal.py open --private-key-file FILE --aad-hex HEX --info TEXT
      reads a box (hex) from stdin, prints the plaintext as hex.
"""
import argparse
import os
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import (X25519PrivateKey,
                                                              X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption,
                                                          PrivateFormat, PublicFormat)

VERSION = b"\x01"
PASSWORD_INFO = b"dirbridge sealed password v1"


def raw_public(private_key):
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def box_key(shared, eph_pub, recipient_pub, info):
    return HKDF(hashes.SHA256(), 32, eph_pub + recipient_pub, info).derive(shared)


def seal(recipient_pub, plaintext, aad, info):
    eph = X25519PrivateKey.generate()
    eph_pub = raw_public(eph)
    key = box_key(eph.exchange(X25519PublicKey.from_public_bytes(recipient_pub)),
                  eph_pub, recipient_pub, info)
    nonce = os.urandom(12)
    return VERSION + recipient_pub + eph_pub + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_box(private_raw, box, aad, info):
    priv = X25519PrivateKey.from_private_bytes(private_raw)
    pub = raw_public(priv)
    if len(box) < 1 + 32 + 32 + 12 + 16 or box[:1] != VERSION:
        raise ValueError("not a sealed box of version 1")
    if box[1:33] != pub:
        raise ValueError("the box is sealed to another key")
    eph_pub, nonce, ct = box[33:65], box[65:77], box[77:]
    key = box_key(priv.exchange(X25519PublicKey.from_public_bytes(eph_pub)), eph_pub, pub, info)
    return AESGCM(key).decrypt(nonce, ct, aad)


def password_aad(tenant_id, username):
    # Binds the box to one tenant and one username: replayed for another
    # username, it does not open.
    return b"dirbridge-password-v1\x00" + tenant_id.encode() + b"\x00" + username.encode()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seal-password")
    s.add_argument("--connector-key", required=True, help="the connector's passwordPublicKey, hex")
    s.add_argument("--tenant", required=True)
    s.add_argument("--username", required=True)
    sub.add_parser("keygen")
    o = sub.add_parser("open")
    o.add_argument("--private-key-file", required=True, help="file with the raw private key, hex")
    o.add_argument("--aad-hex", required=True)
    o.add_argument("--info", required=True)
    a = p.parse_args()
    if a.cmd == "seal-password":
        password = sys.stdin.buffer.read().rstrip(b"\n")
        box = seal(bytes.fromhex(a.connector_key), password, password_aad(a.tenant, a.username),
                   PASSWORD_INFO)
        print(box.hex())
    elif a.cmd == "keygen":
        k = X25519PrivateKey.generate()
        raw = k.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        print(raw.hex(), raw_public(k).hex())
    elif a.cmd == "open":
        with open(a.private_key_file) as f:
            priv = bytes.fromhex(f.read().strip())
        box = bytes.fromhex(sys.stdin.read().strip())
        print(open_box(priv, box, bytes.fromhex(a.aad_hex), a.info.encode()).hex())


if __name__ == "__main__":
    main()
