#!/usr/bin/env python3
"""Reference ESP-IDF Wi-Fi provisioning client (SoftAP / HTTP(S)) built from Espressif's own
esp_prov code as shipped on PyPI in `esp-rainmaker-cli` (package `rmaker_tools`, Apache-2.0).

Every protocol step uses the library's functions:
  transport : rmaker_tools.common.transport.Transport_HTTP (POST /<endpoint>, cookie session)
  security  : rmaker_tools.rmaker_prov.prov.prov_util.get_security -> Security1 / Security2
  flow      : prov_util.get_version / establish_session / scan_wifi_APs /
              send_wifi_config / apply_wifi_config / ctrl_reset / ctrl_reprov
  status    : prov.config_get_status_request (library) + the library's wifi_config_pb2 to decode
              (prov_util.get_wifi_config only returns a string, not the failure reason).

Copied from /work/scratch/r15/esp_client.py for the esp-core interop tests; the only change is that
the research copy's `--insecure` (no certificate check) option was removed: nothing here accepts
every certificate.

Usage (a venv with `pip install --no-deps esp-rainmaker-cli==1.14.1 protobuf cryptography future`):
  venv/bin/python esp_client.py --host 127.0.0.1 --port 8080 --sec 1 --pop abcd1234 \
      --ssid MyAP --passphrase secret123
  venv/bin/python esp_client.py --host 127.0.0.1 --port 8443 --https --cafile ca.pem \
      --sec 2 --username wifiprov --password abcd1234 --ssid MyAP --passphrase secret123

The last line printed is a JSON summary (prefix "RESULT ") for machine checks.
Exit codes: 0 ok / connected, 2 connection or session failure (e.g. wrong PoP / password),
3 Wi-Fi connection failed (AuthError / NetworkNotFound), 4 other protocol error, 5 timeout.
"""
import argparse
import json
import os
import ssl
import sys
import time

# The library does a bare `import proto` (security1.py:15, wifi_prov.py:10, ...). Make sure it
# resolves to rmaker_tools/rmaker_prov/proto and not to any ./proto directory next to this script.
import rmaker_tools  # noqa: E402

_RMAKER_PROV = os.path.join(os.path.dirname(rmaker_tools.__file__), 'rmaker_prov')
sys.path.insert(0, _RMAKER_PROV)
for _p in ('', os.path.dirname(os.path.abspath(__file__)), os.getcwd()):
    while _p in sys.path[1:]:
        sys.path.remove(_p)

from rmaker_tools.common import prov  # noqa: E402
from rmaker_tools.common import transport  # noqa: E402
from rmaker_tools.common.utils.convenience import str_to_bytes  # noqa: E402
from rmaker_tools.rmaker_prov.prov import prov_util  # noqa: E402
import proto  # noqa: E402  (rmaker_tools/rmaker_prov/proto/__init__.py)

STATE_NAMES = {0: 'Connected', 1: 'Connecting', 2: 'Disconnected', 3: 'ConnectionFailed'}
REASON_NAMES = {0: 'AuthError', 1: 'NetworkNotFound'}


def make_ssl_context(args):
    if not args.https:
        return None
    # Same construction as Espressif's esp_local_ctrl.py (rmaker_local_ctrl/esp_local_ctrl.py:133-135)
    ctx = ssl.create_default_context(cafile=args.cafile)
    ctx.check_hostname = not args.no_check_hostname
    return ctx


def get_status(tp, sec):
    """CmdGetStatus -> dict(state, fail_reason, attempts_remaining, connected)."""
    msg = prov.config_get_status_request(sec)          # library: builds + encrypts
    resp = tp.send_data('prov-config', msg)
    plain = sec.decrypt_data(str_to_bytes(resp))      # library security object
    payload = proto.wifi_config_pb2.WiFiConfigPayload()
    payload.ParseFromString(plain)
    r = payload.resp_get_status
    out = {'msg': payload.msg, 'status': r.status, 'state': STATE_NAMES.get(r.sta_state, r.sta_state)}
    which = r.WhichOneof('state')
    if which == 'fail_reason':
        out['fail_reason'] = REASON_NAMES.get(r.fail_reason, r.fail_reason)
    elif which == 'connected':
        c = r.connected
        out['connected'] = {'ip4_addr': c.ip4_addr, 'ssid': c.ssid.decode('latin-1'),
                            'bssid': c.bssid.hex(), 'channel': c.channel, 'auth_mode': c.auth_mode}
    # NB: the pb2 shipped in esp-rainmaker-cli 1.14.1 predates field 12 (attempt_failed); when a
    # device sends it, python-protobuf keeps it as an unknown field.
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=80)
    ap.add_argument('--https', action='store_true')
    ap.add_argument('--cafile', help='PEM CA bundle used to verify the device certificate')
    ap.add_argument('--no-check-hostname', action='store_true',
                    help='verify the chain but not the name (like esp_local_ctrl --dont-check-hostname)')
    ap.add_argument('--sec', type=int, choices=[0, 1, 2], default=None,
                    help='security scheme; default: sec_ver advertised in proto-ver')
    ap.add_argument('--pop', default='', help='security 1 proof of possession')
    ap.add_argument('--username', default='wifiprov', help='security 2 SRP6a username')
    ap.add_argument('--password', default='', help='security 2 SRP6a password')
    ap.add_argument('--ssid')
    ap.add_argument('--passphrase', default='')
    ap.add_argument('--no-scan', action='store_true')
    ap.add_argument('--ctrl', choices=['reset', 'reprov'], help='send a prov-ctrl command after status')
    ap.add_argument('--poll-interval', type=float, default=1.0)
    ap.add_argument('--poll-max', type=int, default=30)
    ap.add_argument('--timeout', type=float, default=10.0, help='HTTP timeout (s)')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args()

    result = {'host': args.host, 'port': args.port, 'https': args.https}
    rc = 0

    def finish(code):
        result['exit'] = code
        print('RESULT ' + json.dumps(result, sort_keys=True))
        sys.exit(code)

    # The hostname is passed as "<host>:<port>" (the esp_prov "--service_name" for softap).
    # Transport_HTTP resolves it and connects to the *resolved IP* (transport_http.py:68-80),
    # so with check_hostname the certificate must carry an IP SAN for that address.
    try:
        tp = transport.Transport_HTTP(f'{args.host}:{args.port}', make_ssl_context(args),
                                      timeout=args.timeout)
    except Exception as e:  # RuntimeError('Connection Failure : ...') incl. ssl errors
        result['error'] = f'{type(e).__name__}: {e}'
        finish(2)

    try:
        ver = prov_util.get_version(tp)   # POST /proto-ver body '---'
    except RuntimeError as e:
        result['error'] = f'proto-ver: {e}'
        finish(2)
    result['proto_ver_raw'] = ver
    try:
        info = json.loads(ver)
    except ValueError:
        info = {}
    pinfo = info.get('prov', {}) if isinstance(info, dict) else {}
    result['proto_ver'] = info
    sec_ver = args.sec if args.sec is not None else pinfo.get('sec_ver', 1)
    sec_patch_ver = int(pinfo.get('sec_patch_ver', 0)) if sec_ver == 2 else 0
    result['sec_ver'] = sec_ver
    result['sec_patch_ver'] = sec_patch_ver

    sec = prov_util.get_security(sec_ver, sec_patch_ver, args.username, args.password,
                                 args.pop, args.verbose)
    try:
        ok = prov_util.establish_session(tp, sec)   # POST /prov-session x2
    except RuntimeError as e:
        result['session'] = 'failed'
        result['error'] = str(e)
        finish(2)
    if not ok:
        result['session'] = 'failed'
        finish(2)
    result['session'] = 'ok'

    try:
        if not args.no_scan and 'wifi_scan' in pinfo.get('cap', []):
            aps = prov_util.scan_wifi_APs('softap', tp, sec)   # POST /prov-scan
            result['scan'] = aps
        if args.ssid is None:
            finish(0)
        result['set_config'] = prov_util.send_wifi_config(tp, sec, args.ssid, args.passphrase)
        if not result['set_config']:
            finish(4)
        result['apply_config'] = prov_util.apply_wifi_config(tp, sec)
        if not result['apply_config']:
            finish(4)
        status = None
        for _ in range(args.poll_max):
            time.sleep(args.poll_interval)
            status = get_status(tp, sec)
            if args.verbose:
                print('status:', status)
            if status['state'] != 'Connecting':
                break
        result['status'] = status
        if status is None or status['state'] == 'Connecting':
            rc = 5
        elif status['state'] != 'Connected':
            rc = 3
        if args.ctrl == 'reset':
            result['ctrl_reset'] = prov_util.ctrl_reset(tp, sec)
        elif args.ctrl == 'reprov':
            result['ctrl_reprov'] = prov_util.ctrl_reprov(tp, sec)
    except RuntimeError as e:
        result['error'] = str(e)
        finish(4)
    finish(rc)


if __name__ == '__main__':
    main()
