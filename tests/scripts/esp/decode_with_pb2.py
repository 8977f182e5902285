#!/usr/bin/env python3
"""Decodes provisioning messages with the *_pb2 modules Espressif's client carries
(rmaker_tools from esp-rainmaker-cli 1.14.1), to check bytes another implementation made.

stdin: a JSON list of {"kind": session|wifi_config|wifi_scan|wifi_ctrl, "hex": "..."}.
stdout: a JSON list of {"fields": {...}, "roundtrip": bool}: the fields the pb2 class read (bytes as
hex, enums by name, submessages nested), and whether re-serializing gives the same bytes (no
unknown fields, canonical field order and encoding).
"""
import json
import os
import sys
from collections.abc import Iterable

import rmaker_tools  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(rmaker_tools.__file__), 'rmaker_prov'))
for _p in ('', os.path.dirname(os.path.abspath(__file__)), os.getcwd()):
    while _p in sys.path[1:]:
        sys.path.remove(_p)
import proto  # noqa: E402  (rmaker_tools/rmaker_prov/proto/__init__.py loads the pb2 modules)

CLASSES = {
    'session': proto.session_pb2.SessionData,
    'wifi_config': proto.wifi_config_pb2.WiFiConfigPayload,
    'wifi_scan': proto.wifi_scan_pb2.WiFiScanPayload,
    'wifi_ctrl': proto.wifi_ctrl_pb2.WiFiCtrlPayload,
}


def fields(msg):
    # Enums by name, their proto3 default (0, not on the wire) included, so `msg` is always named.
    out = {f.name: f.enum_type.values_by_number[getattr(msg, f.name)].name
           for f in msg.DESCRIPTOR.fields
           if f.type == f.TYPE_ENUM and not isinstance(getattr(msg, f.name), Iterable) and f.containing_oneof is None}
    for field, value in msg.ListFields():
        if field.type == field.TYPE_MESSAGE:
            out[field.name] = fields(value)
        elif field.type == field.TYPE_BYTES:
            out[field.name] = value.hex()
        elif field.type == field.TYPE_ENUM:
            out[field.name] = field.enum_type.values_by_number[value].name
        else:
            out[field.name] = value
    return out


def main():
    results = []
    for item in json.load(sys.stdin):
        data = bytes.fromhex(item['hex'])
        msg = CLASSES[item['kind']]()
        msg.ParseFromString(data)
        results.append({'fields': fields(msg), 'roundtrip': msg.SerializeToString() == data})
    print(json.dumps(results))


if __name__ == '__main__':
    main()
