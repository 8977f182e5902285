#!/usr/bin/env python3
"""Minimal *reference* ESP-IDF provisioning device (protocomm_httpd + security1/2 + wifi_provisioning)
written from the C sources (see PROTOCOL.md) to exercise esp_client.py / Espressif's Python client
on loopback. It is a research aid for the Rust simulator, not production code.

  venv/bin/python sim_device.py --port 8080 --sec 1 --pop abcd1234
  venv/bin/python sim_device.py --port 8443 --sec 2 --username wifiprov --password abcd1234 \
        --certfile server.pem --keyfile server.key
Networks known to the fake radio: --network SSID:PASSPHRASE (repeatable). Default MyAP:secret123.

Behaviour copied from the device:
 * one session; cookie "session=<u32>" set on the first response of a new session
   (protocomm_httpd.c:60-113,153-158); requests without the cookie start a new session.
 * any handler error -> no HTTP response, the socket is closed
   (protocomm_httpd.c:148-151 + esp_http_server httpd_uri.c:369-373).
 * wrong PoP (sec1) / wrong password (sec2) -> the same: connection closed, no Status code.
 * unknown endpoint -> 404 (esp_http_server default).
 * proto-ver body: cJSON_Print of {"prov":{"ver":"v1.1","sec_ver":N,"sec_patch_ver":P,"cap":[...]}}.
"""
import argparse
import hashlib
import http.server
import json
import os
import random
import ssl
import struct
import sys

import rmaker_tools

sys.path.insert(0, os.path.join(os.path.dirname(rmaker_tools.__file__), 'rmaker_prov'))
for _p in ('', os.path.dirname(os.path.abspath(__file__)), os.getcwd()):
    while _p in sys.path[1:]:
        sys.path.remove(_p)
import proto  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from rmaker_tools.common.security import srp6a  # noqa: E402

S = proto.session_pb2
SHA512 = hashlib.sha512


class HandlerError(Exception):
    """Device-side failure: the real device closes the socket without an HTTP response."""


def i2b(n):
    return srp6a.long_to_bytes(n)


def b2i(b):
    return int.from_bytes(b, 'big')


class Sec1:
    def __init__(self, pop):
        self.pop = pop.encode()
        self.state = 0
        self.ctr = None

    def handle(self, req):
        if req.sec_ver != S.SecScheme1 or req.WhichOneof('proto') != 'sec1':
            raise HandlerError('Security version mismatch')          # security1.c:600-609
        p = req.sec1
        resp = S.SessionData()
        resp.sec_ver = S.SecScheme1
        if p.msg == proto.sec1_pb2.Session_Command0:
            if p.WhichOneof('payload') != 'sc0' or len(p.sc0.client_pubkey) != 32:
                raise HandlerError('Invalid public key length')       # security1.c:249-263
            self.client_pub = p.sc0.client_pubkey
            priv = X25519PrivateKey.generate()
            self.dev_pub = priv.public_key().public_bytes(serialization.Encoding.Raw,
                                                         serialization.PublicFormat.Raw)
            key = bytearray(priv.exchange(X25519PublicKey.from_public_bytes(self.client_pub)))
            if self.pop:                                               # security1.c:311-341
                for i, b in enumerate(hashlib.sha256(self.pop).digest()):
                    key[i] ^= b
            self.key = bytes(key)
            self.rand = os.urandom(16)
            resp.sec1.msg = proto.sec1_pb2.Session_Response0
            resp.sec1.sr0.status = 0
            resp.sec1.sr0.device_pubkey = self.dev_pub
            resp.sec1.sr0.device_random = self.rand
            self.state = 1
        elif p.msg == proto.sec1_pb2.Session_Command1:
            if self.state != 1:
                raise HandlerError('Invalid state')
            if p.WhichOneof('payload') != 'sc1' or len(p.sc1.client_verify_data) != 32:
                raise HandlerError('Invalid client verifier')
            self.ctr = Cipher(algorithms.AES(self.key), modes.CTR(self.rand)).encryptor()
            if self.ctr.update(p.sc1.client_verify_data) != self.dev_pub:  # security1.c:154-176
                self.state = 0
                raise HandlerError('Key mismatch. Close connection')
            resp.sec1.msg = proto.sec1_pb2.Session_Response1
            resp.sec1.sr1.status = 0
            resp.sec1.sr1.device_verify_data = self.ctr.update(self.client_pub)
            self.state = 2
        else:
            raise HandlerError('Invalid security message type')
        return resp.SerializeToString()

    def crypt(self, data):
        if self.state != 2:
            raise HandlerError('Secure session not established')
        return self.ctr.update(data)                                   # security1.c:535-571

    encrypt = decrypt = crypt


class Sec2:
    N, G = srp6a.get_ng(srp6a.NG_3072)
    LEN_N = 384

    def __init__(self, salt, verifier, patch_ver=1):
        self.salt, self.v = salt, b2i(verifier)
        self.patch_ver = patch_ver
        self.state = 0

    def _pad(self, b):
        return b'\0' * (self.LEN_N - len(b)) + b

    def handle(self, req):
        if req.sec_ver != S.SecScheme2 or req.WhichOneof('proto') != 'sec2':
            raise HandlerError('Security version mismatch')           # security2.c:616-625
        p = req.sec2
        resp = S.SessionData()
        resp.sec_ver = S.SecScheme2
        if p.msg == proto.sec2_pb2.S2Session_Command0:
            if len(p.sc0.client_pubkey) != 384:                       # security2.c:103-109
                raise HandlerError('Invalid public key length')
            if not p.sc0.client_username:
                raise HandlerError('Invalid username length')
            self.A_bytes = p.sc0.client_pubkey
            self.user = p.sc0.client_username
            N, g = self.N, self.G
            k = b2i(SHA512(i2b(N) + self._pad(i2b(g))).digest())       # esp_srp.c:291-298
            b = b2i(os.urandom(32))                                    # esp_srp.c:344 (256 bits)
            B = (k * self.v + pow(g, b, N)) % N
            self.B_bytes = i2b(B)                                       # minimal length
            A = b2i(self.A_bytes)
            if A % N == 0:
                raise HandlerError('A mod N == 0')
            u = b2i(SHA512(self._pad(self.A_bytes) + self._pad(self.B_bytes)).digest())
            if u == 0:
                raise HandlerError('u == 0')
            Sv = pow(A * pow(self.v, u, N) % N, b, N)
            self.K = SHA512(i2b(Sv)).digest()                           # esp_srp.c:688-715
            resp.sec2.msg = proto.sec2_pb2.S2Session_Response0
            resp.sec2.sr0.status = 0
            resp.sec2.sr0.device_pubkey = self.B_bytes
            resp.sec2.sr0.device_salt = self.salt
            self.state = 1
        elif p.msg == proto.sec2_pb2.S2Session_Command1:
            if self.state != 1:
                raise HandlerError('Invalid state')
            if len(p.sc1.client_proof) != 64:
                raise HandlerError('The client proof length does not match')
            hn = SHA512(i2b(self.N)).digest()
            hg = SHA512(self._pad(i2b(self.G))).digest()
            M = SHA512(bytes(x ^ y for x, y in zip(hn, hg)) + SHA512(self.user).digest() + self.salt
                       + self.A_bytes + self.B_bytes + self.K).digest()   # esp_srp.c:778-834
            if M != p.sc1.client_proof:
                self.state = 0
                raise HandlerError('Failed to authenticate client proof!')
            hamk = SHA512(self.A_bytes + M + self.K).digest()
            self.iv = bytearray(os.urandom(8) + struct.pack('>I', 1))   # security2.c:257-266
            self.gcm = AESGCM(self.K[:32])
            resp.sec2.msg = proto.sec2_pb2.S2Session_Response1
            resp.sec2.sr1.status = 0
            resp.sec2.sr1.device_proof = hamk
            resp.sec2.sr1.device_nonce = bytes(self.iv)
            self.state = 2
        else:
            raise HandlerError('Invalid security message type')
        return resp.SerializeToString()

    def _bump(self):
        if self.patch_ver >= 1:
            c = struct.unpack('>I', self.iv[8:])[0] + 1
            self.iv[8:] = struct.pack('>I', c & 0xffffffff)

    def encrypt(self, data):
        if self.state != 2:
            raise HandlerError('Secure session not established')
        out = self.gcm.encrypt(bytes(self.iv), data, None)
        self._bump()
        return out

    def decrypt(self, data):
        if self.state != 2:
            raise HandlerError('Secure session not established')
        try:
            out = self.gcm.decrypt(bytes(self.iv), data, None)
        except Exception:
            raise HandlerError('psa_aead_decrypt failed')
        self._bump()
        return out


class Radio:
    """Fake Wi-Fi: wifi_prov manager states (manager.c:944-1019) collapsed to 'polls until done'."""

    def __init__(self, networks, polls=2):
        self.networks = networks
        self.polls = polls
        self.pending = None
        self.applied = None
        self.state = None  # None | 'connecting' | 'connected' | 'failed'
        self.reason = None
        self.left = 0

    def scan(self):
        rnd = random.Random(1)
        return [dict(ssid=s.encode(), channel=1 + i * 5, rssi=-40 - i * 7,
                     bssid=bytes(rnd.randrange(256) for _ in range(6)), auth=3 if pw else 0)
                for i, (s, pw) in enumerate(self.networks.items())]

    def status(self):
        if self.state == 'connecting':
            self.left -= 1
            if self.left <= 0:
                ssid, pw = self.applied
                if ssid not in self.networks:
                    self.state, self.reason = 'failed', 1        # NetworkNotFound
                elif self.networks[ssid] != pw:
                    self.state, self.reason = 'failed', 0        # AuthError
                else:
                    self.state = 'connected'
        return self.state


def make_handler(dev):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, fmt, *a):
            if dev.verbose:
                sys.stderr.write('sim: ' + fmt % a + '\n')

        def do_POST(self):
            ln = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(ln) if ln > 0 else b''
            ep = self.path[1:]
            if ep not in ('proto-ver', 'prov-session', 'prov-config', 'prov-scan', 'prov-ctrl'):
                self.send_error(404)
                return
            cookie = self.headers.get('Cookie')
            same = dev.cookie is not None and cookie == f'session={dev.cookie}'
            if not same:                                  # new session (protocomm_httpd.c:81-113)
                dev.cookie = random.getrandbits(32)
                dev.sec = dev.new_sec()
            try:
                if ln <= 0 or ln > 4096:
                    raise HandlerError('bad content length')
                out = dev.dispatch(ep, body)
            except HandlerError as e:
                if dev.verbose:
                    sys.stderr.write(f'sim: handler error on /{ep}: {e} -> closing socket\n')
                self.close_connection = True              # no response at all
                return
            self.send_response(200)
            if not same:
                self.send_header('Set-Cookie', f'session={dev.cookie}')
            self.send_header('Content-Type', 'text/html')  # esp_http_server default type
            self.send_header('Content-Length', str(len(out)))
            self.end_headers()
            self.wfile.write(out)
    return H


def cjson_print(v, depth=0):
    if isinstance(v, dict):
        inner = ',\n'.join('\t' * (depth + 1) + json.dumps(k) + ':\t' + cjson_print(x, depth + 1)
                           for k, x in v.items())
        return '{\n' + inner + '\n' + '\t' * depth + '}'
    if isinstance(v, list):
        return '[' + ', '.join(cjson_print(x, depth + 1) for x in v) + ']'
    return json.dumps(v)


class Device:
    def __init__(self, args):
        self.args = args
        self.verbose = args.verbose
        self.cookie = None
        self.sec = None
        nets = {}
        for n in args.network or ['MyAP:secret123']:
            s, _, p = n.partition(':')
            nets[s] = p
        self.radio = Radio(nets, args.polls)
        if args.sec == 2:
            self.salt, self.verifier = srp6a.generate_salt_and_verifier(args.username, args.password, 16)
        cap = ['wifi_scan']
        if args.sec == 1 and not args.pop:
            cap.insert(0, 'no_pop')
        info = {'prov': {'ver': 'v1.1', 'sec_ver': args.sec, 'sec_patch_ver': 1 if args.sec == 2 else 0,
                         'cap': cap}}
        # Byte-for-byte imitation of cJSON_Print (manager.c:355-359): tab indents, '":\t' after
        # keys, arrays on one line joined by ', '. Clients must parse JSON, not compare bytes.
        self.version = cjson_print(info).encode()

    def new_sec(self):
        if self.args.sec == 1:
            return Sec1(self.args.pop)
        if self.args.sec == 2:
            return Sec2(self.salt, self.verifier)
        raise SystemExit('sec0 not implemented in this sim')

    def dispatch(self, ep, body):
        if ep == 'proto-ver':
            return self.version
        if ep == 'prov-session':
            req = S.SessionData()
            try:
                req.ParseFromString(body)
            except Exception:
                raise HandlerError('Unable to unpack setup_req')
            return self.sec.handle(req)
        plain = self.sec.decrypt(body)
        out = getattr(self, 'ep_' + ep.replace('-', '_'))(plain)
        return self.sec.encrypt(out)

    def ep_prov_config(self, plain):
        W = proto.wifi_config_pb2
        req = W.WiFiConfigPayload()
        req.ParseFromString(plain)
        resp = W.WiFiConfigPayload()
        resp.msg = req.msg + 1                            # wifi_config.c:329
        if req.msg == W.TypeCmdSetConfig:
            c = req.cmd_set_config
            st = 0
            if (len(c.bssid) not in (0, 6)) or len(c.ssid) >= 33 or len(c.passphrase) >= 64:
                st = 4                                     # InvalidArgument (wifi_config.c:166-173)
            else:
                self.radio.pending = (c.ssid.decode('latin-1'), c.passphrase.decode('latin-1'))
            resp.resp_set_config.status = st
        elif req.msg == W.TypeCmdApplyConfig:
            if self.radio.pending is None:
                resp.resp_apply_config.status = 5         # InternalError (handlers.c:131-133)
            else:
                self.radio.applied, self.radio.pending = self.radio.pending, None
                self.radio.state, self.radio.left = 'connecting', self.radio.polls
                resp.resp_apply_config.status = 0
        elif req.msg == W.TypeCmdGetStatus:
            r = resp.resp_get_status
            st = self.radio.status()
            r.status = 0
            if st == 'connected':
                r.sta_state = 0
                r.connected.ip4_addr = '192.168.1.50'
                r.connected.ssid = self.radio.applied[0].encode()
                r.connected.bssid = b'\x11\x22\x33\x44\x55\x66'
                r.connected.channel = 6
                r.connected.auth_mode = 3
            elif st == 'failed':
                r.sta_state = 3
                r.fail_reason = self.radio.reason
            else:
                r.sta_state = 1                            # Connecting (also before apply)
        else:
            raise HandlerError('Invalid command handler lookup')
        return resp.SerializeToString()

    def ep_prov_scan(self, plain):
        W = proto.wifi_scan_pb2
        req = W.WiFiScanPayload()
        req.ParseFromString(plain)
        resp = W.WiFiScanPayload()
        resp.msg = req.msg + 1
        resp.status = 0
        aps = self.radio.scan()
        if req.msg == W.TypeCmdScanStart:
            resp.resp_scan_start.SetInParent()
        elif req.msg == W.TypeCmdScanStatus:
            resp.resp_scan_status.scan_finished = True
            resp.resp_scan_status.result_count = len(aps)
        elif req.msg == W.TypeCmdScanResult:
            resp.resp_scan_result.SetInParent()
            s, n = req.cmd_scan_result.start_index, req.cmd_scan_result.count
            for i in range(s, s + n):
                if i >= len(aps):
                    resp.status = 5
                    break
                e = resp.resp_scan_result.entries.add()
                for k, v in aps[i].items():
                    setattr(e, k, v)
        else:
            raise HandlerError('Invalid command handler lookup')
        return resp.SerializeToString()

    def ep_prov_ctrl(self, plain):
        W = proto.wifi_ctrl_pb2
        req = W.WiFiCtrlPayload()
        req.ParseFromString(plain)
        resp = W.WiFiCtrlPayload()
        resp.msg = req.msg + 1
        if req.msg == W.TypeCmdCtrlReset:
            # wifi_prov_mgr_reset_sm_state_on_failure(): only valid after a failure
            resp.status = 0 if self.radio.state == 'failed' else 5
            if resp.status == 0:
                self.radio.state = None
            resp.resp_ctrl_reset.SetInParent()
        elif req.msg == W.TypeCmdCtrlReprov:
            resp.status = 0 if self.radio.state == 'connected' else 5
            if resp.status == 0:
                self.radio.state = None
            resp.resp_ctrl_reprov.SetInParent()
        else:
            raise HandlerError('Invalid command handler lookup')
        return resp.SerializeToString()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=8080)
    ap.add_argument('--sec', type=int, choices=[1, 2], default=1)
    ap.add_argument('--pop', default='abcd1234')
    ap.add_argument('--username', default='wifiprov')
    ap.add_argument('--password', default='abcd1234')
    ap.add_argument('--network', action='append')
    ap.add_argument('--polls', type=int, default=2)
    ap.add_argument('--certfile')
    ap.add_argument('--keyfile')
    ap.add_argument('--max-requests', type=int, default=0, help='exit after N connections (0 = forever)')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args()
    dev = Device(args)
    srv = http.server.HTTPServer((args.host, args.port), make_handler(dev))
    if args.certfile:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.certfile, args.keyfile)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(f'sim listening on {args.host}:{srv.server_address[1]} sec={args.sec} tls={bool(args.certfile)}', flush=True)
    if args.max_requests:
        for _ in range(args.max_requests):
            srv.handle_request()
    else:
        srv.serve_forever()


if __name__ == '__main__':
    main()
