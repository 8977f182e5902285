#!/usr/bin/env python3
"""Writes src/esp/kat_vectors.rs: known-answer vectors for security 1 and 2, produced by Espressif's
own client classes (rmaker_tools Security1 / Security2 / srp6a, esp-rainmaker-cli 1.14.1) with
fixed randomness. The device halves are computed here the way ESP-IDF's C code does
(security1.c, esp_srp.c, security2.c).

    $ESP_PROV_PYTHON tests/scripts/esp/make_vectors.py > protocol/src/esp/kat_vectors.rs
"""
import hashlib
import os
import sys

import rmaker_tools

sys.path.insert(0, os.path.join(os.path.dirname(rmaker_tools.__file__), 'rmaker_prov'))
for _p in ('', os.path.dirname(os.path.abspath(__file__)), os.getcwd()):
    while _p in sys.path[1:]:
        sys.path.remove(_p)
import proto  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import x25519  # noqa: E402
from rmaker_tools.common.security import security1, security2, srp6a  # noqa: E402
from rmaker_tools.common.utils.convenience import str_to_bytes  # noqa: E402

S = proto.session_pb2
out = []


def const(name, data, doc):
    out.append(f'/// {doc}\npub(super) const {name}: &str = "{bytes(data).hex()}";')


def raw(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# ---- security 1 -------------------------------------------------------------------------------
client_secret = bytes(range(1, 33))
device_secret = bytes(range(101, 133))
device_random = bytes(range(200, 216))
pop = 'abcd1234'
x25519.X25519PrivateKey.generate = staticmethod(lambda: x25519.X25519PrivateKey.from_private_bytes(client_secret))
sec = security1.Security1(pop, False)
cmd0 = str_to_bytes(sec.security_session(None))
dev = x25519.X25519PrivateKey.from_private_bytes(device_secret)
resp0 = S.SessionData()
resp0.sec_ver = S.SecScheme1
resp0.sec1.msg = proto.sec1_pb2.Session_Response0
resp0.sec1.sr0.device_pubkey = raw(dev)
resp0.sec1.sr0.device_random = device_random
cmd1 = str_to_bytes(sec.security_session(resp0.SerializeToString().decode('latin-1')))
# The device continues the one CTR stream (security1.c:199-214): that is the client's stream too.
resp1 = S.SessionData()
resp1.sec_ver = S.SecScheme1
resp1.sec1.msg = proto.sec1_pb2.Session_Response1
resp1.sec1.sr1.device_verify_data = sec.cipher.update(sec.client_public_key)
sec.cipher = None
# Re-run the client to let it verify Resp1 with its own code, then encrypt a request.
sec = security1.Security1(pop, False)
sec.security_session(None)
sec.security_session(resp0.SerializeToString().decode('latin-1'))
sec.security_session(resp1.SerializeToString().decode('latin-1'))
request = sec.encrypt_data(b'hello device')
const('SEC1_CLIENT_SECRET', client_secret, 'The client X25519 secret.')
const('SEC1_DEVICE_SECRET_AND_RANDOM', device_secret + device_random, 'Device X25519 secret, then device_random.')
const('SEC1_POP', pop.encode(), 'Proof of possession.')
const('SEC1_CMD0', cmd0, 'SessionData Cmd0 from Security1.')
const('SEC1_RESP0', resp0.SerializeToString(), 'SessionData Resp0 (device).')
const('SEC1_CMD1', cmd1, 'SessionData Cmd1 from Security1.')
const('SEC1_RESP1', resp1.SerializeToString(), 'SessionData Resp1 (device), accepted by Security1.')
const('SEC1_REQUEST', request, '"hello device" encrypted by Security1 after the handshake.')

# ---- security 2 -------------------------------------------------------------------------------
user, password = 'wifiprov', 'abcd1234'
salt = bytes([0x5a] + list(range(1, 16)))
N, g = srp6a.get_ng(srp6a.NG_3072)
H = hashlib.sha512
v = pow(g, srp6a.calculate_x(H, salt, user, password), N)
seed = 0
while True:
    a = int.from_bytes(hashlib.sha256(b'a%d' % seed).digest(), 'big')
    if len(srp6a.long_to_bytes(pow(g, a, N))) == 384:
        break
    seed += 1
srp6a.get_random_of_length = lambda n: a
b_bytes = hashlib.sha256(b'b').digest()
nonce8 = bytes(range(50, 58))
sec = security2.Security2(1, user, password, False)
cmd0 = str_to_bytes(sec.security_session(None))
k = srp6a.H(H, N, g, width=384)
B = (k * v + pow(g, int.from_bytes(b_bytes, 'big'), N)) % N
resp0 = S.SessionData()
resp0.sec_ver = S.SecScheme2
resp0.sec2.msg = proto.sec2_pb2.S2Session_Response0
resp0.sec2.sr0.device_pubkey = srp6a.long_to_bytes(B)
resp0.sec2.sr0.device_salt = salt
cmd1 = str_to_bytes(sec.security_session(resp0.SerializeToString().decode('latin-1')))
resp1 = S.SessionData()
resp1.sec_ver = S.SecScheme2
resp1.sec2.msg = proto.sec2_pb2.S2Session_Response1
resp1.sec2.sr1.device_proof = sec.srp6a_ctx.H_AMK
resp1.sec2.sr1.device_nonce = nonce8 + (1).to_bytes(4, 'big')
sec.security_session(resp1.SerializeToString().decode('latin-1'))
assert sec.srp6a_ctx.authenticated()
req1 = sec.encrypt_data(b'hello device')
req2 = sec.encrypt_data(b'hello device')
const('SEC2_USERNAME', user.encode(), 'SRP username.')
const('SEC2_PASSWORD', password.encode(), 'SRP password.')
const('SEC2_SALT', salt, 'Salt.')
const('SEC2_VERIFIER', srp6a.long_to_bytes(v), 'Verifier g^x mod N as srp6a.py computes it.')
const('SEC2_CLIENT_SECRET', a.to_bytes(32, 'big'), 'The client secret a.')
const('SEC2_DEVICE_SECRET_AND_NONCE', b_bytes + nonce8, 'Device secret b (256 bits), then the 8 random nonce bytes.')
const('SEC2_CMD0', cmd0, 'SessionData Cmd0 from Security2.')
const('SEC2_RESP0', resp0.SerializeToString(), 'SessionData Resp0 (device, B minimal).')
const('SEC2_CMD1', cmd1, 'SessionData Cmd1 (client proof M) from Security2.')
const('SEC2_RESP1', resp1.SerializeToString(), 'SessionData Resp1 (H_AMK, nonce), accepted by Security2.')
const('SEC2_REQUEST1', req1, '"hello device" encrypted by Security2 (nonce counter 1).')
const('SEC2_REQUEST2', req2, '"hello device" encrypted again (nonce counter 2).')

print('//! Known-answer vectors from Espressif\'s Python client classes with fixed randomness.')
print('//! Generated by `tests/scripts/esp/make_vectors.py`; do not edit by hand.')
print()
print('\n\n'.join(out))
