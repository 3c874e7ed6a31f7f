"""MIKEY-TICKET message specs: each model field mapped to its grammar path (RFC 6043 4.2.1-4.2.3,
10; seed 002 B.2.2.3 for the Zk messages, which carry NDS/IP transport facts)."""

from __future__ import annotations

from mckm.models.grammar.wire import (
    NTP_SECONDS,
    URI_TEXT,
    UTF8_TEXT,
    Integrity,
    Layout,
    Wire,
    bound,
    transport,
    wire,
)
from mckm.models.procedures.model import MessageSpec

_URI = {"id_type": "URI"}
_T = wire("time", "T", conv=NTP_SECONDS)
_V = wire("blob", "V.ver_data")
_TICKET = wire("blob", "TICKET", conv=bound("TICKET", "RFC 6043 6.10; granted policy, Ticket Data"))
_KEMAC = wire("blob", "KEMAC", conv=bound("KEMAC", "RFC 3830 6.2; RFC 6043 4.2.1.5, 4.2.3.5"))
_TP = wire("blob", "TP", conv=bound("payload octets", "RFC 6043 6.10"))
_IDRPSK = wire("blob", "IDR[id_role=IDRpsk].id_data", conv=UTF8_TEXT,
               fixed={"id_type": "byte string"})  # the B-TID (TS 33.220)


def _id(role: str) -> Wire:
    return wire("ident", f"IDR[id_role={role}].id_data", conv=URI_TEXT, fixed=_URI)


def _rand(role: str) -> Wire:
    return wire("blob", f"RANDR[rand_role={role}].rand")


_ZK = {"zk_from": transport("ident", "zk_from"),  # the NDS/IP-authenticated sending KMS
       "zk_to": transport("ident", "zk_to"),  # the KMS addressed (Request-URI host)
       "nds": transport("blob", "nds")}  # NDS/IP (ESP) integrity of these octets
#: RFC 6043 4.2.1.5, 4.2.3.5: a response copies version, PRF func, CSB ID, #CS and the map
_COPIES = ("version", "prf_func", "csb_id", "n_cs", "cs_id_map_type", "cs_id_map_info")
_INIT_HDR = {"v": 1}  # RFC 6043 4.2.1.1, 4.2.3.1: a response is expected

_REQUEST_INIT = Layout("REQUEST_INIT_PSK", ("T", "RANDR", "IDR[id_role=IDRi]",
                                            "IDR[id_role=IDRkms]", "TP", "IDR[id_role=IDRpsk]",
                                            "V"),
                       integrity=Integrity("V", append_ids=("IDRi", "IDRkms")), hdr=_INIT_HDR)
_RESOLVE_INIT = Layout("RESOLVE_INIT_PSK", ("T", "RANDR", "IDR[id_role=IDRr]",
                                            "IDR[id_role=IDRkms]", "TICKET",
                                            "IDR[id_role=IDRpsk]", "V"),
                       integrity=Integrity("V", append_ids=("IDRr", "IDRkms")), hdr=_INIT_HDR)
_RESOLVE_RESP = Layout("RESOLVE_RESP", ("T", "IDR[id_role=IDRkms]", "KEMAC", "IDR[id_role=IDRr]",
                                        "RANDR", "V"),
                       copies=_COPIES, integrity=Integrity("V", append_request=True))

MESSAGES = (
    MessageSpec.on_wire("REQUEST_INIT", "RFC 6043 4.2.1.1-2", _REQUEST_INIT, {
        "t": _T, "randri": _rand("RANDRi"), "idri": _id("IDRi"), "idrkms": _id("IDRkms"),
        "tp": _TP, "idrpsk": _IDRPSK, "v": _V}),
    MessageSpec.on_wire("REQUEST_RESP", "RFC 6043 4.2.1.5", Layout(
        "REQUEST_RESP", ("T", "IDR", "TICKET", "KEMAC", "V"), copies=_COPIES,
        integrity=Integrity("V", append_request=True)), {
        "t": _T, "idrkms": _id("IDRkms"), "ticket": _TICKET, "kemac": _KEMAC, "v": _V}),
    MessageSpec.on_wire("TRANSFER_INIT", "RFC 6043 4.2.2.1", Layout(
        "TRANSFER_INIT", ("T", "RANDR", "IDR[id_role=IDRi]", "IDR[id_role=IDRr]", "SP", "TICKET",
                          "KEMAC", "V"),
        integrity=Integrity("V", append_ids=("IDRi", "IDRr"), skip_initiator_data=True)), {
        "t": _T, "randri": _rand("RANDRi"), "idri": _id("IDRi"), "idrr": _id("IDRr"),
        "ticket": _TICKET, "v": _V}),
    MessageSpec.on_wire("RESOLVE_INIT", "RFC 6043 4.2.3.1-2", _RESOLVE_INIT, {
        "t": _T, "randrr": _rand("RANDRr"), "idrr": _id("IDRr"), "idrkms": _id("IDRkms"),
        "ticket": _TICKET, "idrpsk": _IDRPSK, "v": _V}),
    # RFC 6043 10; seed B.2.2.3 steps 6-8: the same message on Zk, V with the NULL MAC
    MessageSpec.on_wire("RESOLVE_INIT_ZK", "RFC 6043 10; seed B.2.2.3 steps 6-8", _RESOLVE_INIT, {
        "t": _T, "randrr": _rand("RANDRr"), "idrr": _id("IDRr"), "idrkms": _id("IDRkms"),
        "ticket": _TICKET, **_ZK}),
    # seed B.2.2.3 steps 10-11: KEMAC with NULL encryption, V with the NULL MAC
    MessageSpec.on_wire("RESOLVE_RESP_ZK", "RFC 6043 10; seed B.2.2.3 steps 10-11",
                        _RESOLVE_RESP, {
                            "t": _T, "idrkms": _id("IDRkms"), "kemac": _KEMAC,
                            "idrr": _id("IDRr"), **_ZK}),
    MessageSpec.on_wire("RESOLVE_RESP", "RFC 6043 4.2.3.5", _RESOLVE_RESP, {
        "t": _T, "idrkms": _id("IDRkms"), "kemac": _KEMAC, "idrr": _id("IDRr"), "v": _V}),
    MessageSpec.on_wire("TRANSFER_RESP", "RFC 6043 4.2.2.3", Layout(
        "TRANSFER_RESP", ("T", "RANDR[rand_role=RANDRr]", "IDR", "RANDR[rand_role=RANDRkms]",
                          "SP", "KEMAC", "V"),
        copies=("version", "prf_func", "csb_id"), integrity=Integrity("V", append_request=True)),
        {"t": _T, "idrr": _id("IDRr"), "v": _V}),
)
