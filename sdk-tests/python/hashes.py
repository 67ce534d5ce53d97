"""Hashes of one password by independent implementations, one per hash_type Stytch's
passwords/migrate accepts, as the JSON bodies to migrate them with (tests/api/passwords.rs).

Usage: hashes.py PASSWORD  (prints a JSON list of {hash_type, hash, ...config})
"""
import base64
import hashlib
import json
import os
import sys

import argon2
import bcrypt
from passlib.hash import phpass


def bodies(pw: str) -> list:
    """One migrate body (without the email) per hash_type, each hashing `pw`."""
    b = pw.encode()
    salt = os.urandom(16)

    def b64(x: bytes) -> str:
        return base64.b64encode(x).decode()

    ph_id = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    raw_i = argon2.low_level.hash_secret_raw(b, b"saltsaltsalt", time_cost=3, memory_cost=4096,
                                             parallelism=1, hash_len=32, type=argon2.Type.I)
    out = [
        {"hash_type": "bcrypt", "hash": bcrypt.hashpw(b, bcrypt.gensalt(rounds=10)).decode()},
        {"hash_type": "md_5", "hash": hashlib.md5(b"pre" + b + b"post").hexdigest(),
         "md_5_config": {"prepend_salt": "pre", "append_salt": "post"}},
        {"hash_type": "sha_1", "hash": hashlib.sha1(b + b"pepper").hexdigest(),
         "sha_1_config": {"prepend_salt": "", "append_salt": "pepper"}},
        {"hash_type": "sha_512", "hash": hashlib.sha512(b"s4lt" + b).hexdigest(),
         "sha_512_config": {"prepend_salt": "s4lt", "append_salt": ""}},
        {"hash_type": "argon_2id", "hash": ph_id.hash(pw)},
        {"hash_type": "argon_2i", "hash": raw_i.hex(),
         "argon_2_config": {"salt": "saltsaltsalt", "iteration_amount": 3, "memory": 4096,
                            "threads": 1, "key_length": 32}},
        {"hash_type": "scrypt", "hash": b64(hashlib.scrypt(b, salt=salt, n=16384, r=8, p=1, dklen=32)),
         "scrypt_config": {"salt": b64(salt), "n_parameter": 16384, "r_parameter": 8,
                           "p_parameter": 1, "key_length": 32}},
        {"hash_type": "phpass", "hash": phpass.hash(pw)},
        {"hash_type": "pbkdf_2", "hash": b64(hashlib.pbkdf2_hmac("sha512", b, salt, 10000, 64)),
         "pbkdf_2_config": {"salt": b64(salt), "iteration_amount": 10000, "key_length": 64,
                            "algorithm": "sha512"}},
    ]
    return out


if __name__ == "__main__":
    print(json.dumps(bodies(sys.argv[1])))
