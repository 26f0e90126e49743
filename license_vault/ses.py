"""GB/T 38540 electronic seals (安全电子签章): SM2 certificates, ``SESeal`` and
``SES_Signature`` (the version 4 structures), made and verified.

An SM2 hub root certifies the SM2 certificate of each issuing authority's seal; the
seal maker (the root's holder) makes the authority's ``SESeal`` (header ``ES`` v4, the
seal's name, validity, the authority's certificate and the seal picture) and signs it;
the authority signs a document with an ``SES_Signature`` over the SM3 hash of its
bytes. Every signature is SM2 with SM3 in DER, user ID ``1234567812345678``.

    >>> root = Sm2Authority.root(Sm2PrivateKey.generate(), "通办数据共享交换平台")
    >>> office = root.issue(Sm2PrivateKey.generate(), "北京市朝阳区民政局", "11110105MB0123457J")
    >>> seal = make_seal(root, office.certificate, name="北京市朝阳区民政局电子印章", ...)
    >>> signature = sign_document(office, seal, pdf_bytes)
    >>> verify_document(signature, pdf_bytes, [root.certificate]).seal_name
    '北京市朝阳区民政局电子印章'

The signed value of a seal covers the DER of ``SEQUENCE { eSealInfo, cert, signAlgID }``
and that of a signature the DER of ``TBS_Sign``. Anything altered is refused with a
named reason (``ses.*``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from asn1crypto import core, x509

from license_vault.sm2 import Sm2PrivateKey, Sm2PublicKey, sm3
from tongban.errors import RecordError

__all__ = [
    "SM2_WITH_SM3",
    "SesVerdict",
    "Sm2Authority",
    "make_seal",
    "sign_document",
    "verify_document",
]

SM2_WITH_SM3 = "1.2.156.10197.1.501"
_EC_PUBLIC_KEY = "1.2.840.10045.2.1"


# -- the ASN.1 of GB/T 38540 --------------------------------------------------------------


class SesHeader(core.Sequence):
    _fields: ClassVar = [("id", core.IA5String), ("version", core.Integer), ("vid", core.IA5String)]


class CertInfoList(core.SequenceOf):
    _child_spec: ClassVar = core.OctetString


class SesPropertyInfo(core.Sequence):
    _fields: ClassVar = [
        ("type", core.Integer),  # 1 organisation seal, 2 personal seal
        ("name", core.UTF8String),
        ("cert_list_type", core.Integer),  # 1: certificates themselves
        ("cert_list", CertInfoList),
        ("create_date", core.GeneralizedTime),
        ("valid_start", core.GeneralizedTime),
        ("valid_end", core.GeneralizedTime),
    ]


class SesPictureInfo(core.Sequence):
    _fields: ClassVar = [
        ("type", core.IA5String),
        ("data", core.OctetString),
        ("width", core.Integer),  # millimetres
        ("height", core.Integer),
    ]


class SesSealInfo(core.Sequence):
    _fields: ClassVar = [
        ("header", SesHeader),
        ("es_id", core.IA5String),
        ("property", SesPropertyInfo),
        ("picture", SesPictureInfo),
    ]


class SeSeal(core.Sequence):
    _fields: ClassVar = [
        ("e_seal_info", SesSealInfo),
        ("cert", core.OctetString),  # the seal maker's certificate
        ("sign_alg_id", core.ObjectIdentifier),
        ("signed_value", core.BitString),
    ]


class _SealToSign(core.Sequence):
    _fields: ClassVar = [
        ("e_seal_info", SesSealInfo),
        ("cert", core.OctetString),
        ("sign_alg_id", core.ObjectIdentifier),
    ]


class TbsSign(core.Sequence):
    _fields: ClassVar = [
        ("version", core.Integer),
        ("eseal", SeSeal),
        ("time_info", core.GeneralizedTime),
        ("data_hash", core.BitString),
        ("property_info", core.IA5String),
    ]


class SesSignature(core.Sequence):
    _fields: ClassVar = [
        ("to_sign", TbsSign),
        ("cert", core.OctetString),  # the signer's certificate
        ("signature_alg_id", core.ObjectIdentifier),
        ("signature", core.BitString),
    ]


# -- SM2 certificates ---------------------------------------------------------------------


def _bits(data: bytes) -> core.BitString:
    return core.BitString(tuple(int(b) for byte in data for b in f"{byte:08b}"))


def _bytes(bits: core.BitString) -> bytes:
    return bytes(bits.contents[1:])


def _name(organisation: str, common: str, code: str | None = None) -> x509.Name:
    attrs: dict[str, str] = {"country_name": "CN", "organization_name": organisation}
    if code:
        attrs["organization_identifier"] = code
    attrs["common_name"] = common
    return x509.Name.build(attrs, use_printable=False)


def _public_key(cert: x509.Certificate) -> Sm2PublicKey:
    info = cert["tbs_certificate"]["subject_public_key_info"]
    return Sm2PublicKey.from_point(bytes(info["public_key"].contents[1:]))


@dataclass(frozen=True)
class Sm2Authority:
    """An SM2 key and its certificate (the hub root, or an issuing authority)."""

    key: Sm2PrivateKey
    certificate: x509.Certificate

    @classmethod
    def root(cls, key: Sm2PrivateKey, hub_name: str, *, days: int = 20 * 365) -> Sm2Authority:
        name = _name(hub_name, f"{hub_name} SM2 根证书")
        return cls(key, _certificate(key.public_key(), name, name, key, days, ca=True))

    def issue(
        self, key: Sm2PrivateKey, authority_name: str, authority_code: str, *, days: int = 5 * 365
    ) -> Sm2Authority:
        """The SM2 seal certificate of an issuing authority, signed by this root."""
        subject = _name(authority_name, f"{authority_name} 电子印章", authority_code)
        issuer = self.certificate["tbs_certificate"]["subject"]
        return Sm2Authority(
            key, _certificate(key.public_key(), subject, issuer, self.key, days, ca=False)
        )


def _certificate(
    public: Sm2PublicKey,
    subject: x509.Name,
    issuer: x509.Name,
    signing_key: Sm2PrivateKey,
    days: int,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC).replace(microsecond=0)
    usage = {"key_cert_sign", "crl_sign"} if ca else {"digital_signature", "non_repudiation"}
    extensions = [
        {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": ca}},
        {"extn_id": "key_usage", "critical": True, "extn_value": usage},
    ]
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": secrets.randbits(127) | 1 << 126,
            "signature": {"algorithm": SM2_WITH_SM3},
            "issuer": issuer,
            "validity": {
                "not_before": x509.Time({"utc_time": now - timedelta(minutes=5)}),
                "not_after": x509.Time({"utc_time": now + timedelta(days=days)}),
            },
            "subject": subject,
            "subject_public_key_info": public.info(),
            "extensions": extensions,
        }
    )
    signature = signing_key.sign_der(tbs.dump())
    return x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": SM2_WITH_SM3},
            "signature_value": signature,
        }
    )


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert["tbs_certificate"]["issuer"] != issuer["tbs_certificate"]["subject"]:
        return False
    if cert["signature_algorithm"]["algorithm"].dotted != SM2_WITH_SM3:
        return False
    return _public_key(issuer).verify_der(
        cert["tbs_certificate"].dump(), bytes(cert["signature_value"].native)
    )


# -- seals and signatures -----------------------------------------------------------------


def make_seal(
    maker: Sm2Authority,
    holder: x509.Certificate,
    *,
    name: str,
    es_id: str,
    picture_png: bytes,
    days: int = 5 * 365,
    size_mm: int = 42,
) -> bytes:
    """The DER ``SESeal`` of ``holder``'s seal, made and signed by ``maker``."""
    now = datetime.now(UTC).replace(microsecond=0)
    info = SesSealInfo(
        {
            "header": {"id": "ES", "version": 4, "vid": "tongban"},
            "es_id": es_id,
            "property": {
                "type": 1, "name": name, "cert_list_type": 1, "cert_list": [holder.dump()],
                "create_date": now, "valid_start": now, "valid_end": now + timedelta(days=days),
            },
            "picture": {"type": "png", "data": picture_png, "width": size_mm, "height": size_mm},
        }
    )  # fmt: skip
    to_sign = _SealToSign(
        {"e_seal_info": info, "cert": maker.certificate.dump(), "sign_alg_id": SM2_WITH_SM3}
    )
    signed = maker.key.sign_der(to_sign.dump())
    return bytes(
        SeSeal(
            {"e_seal_info": info, "cert": maker.certificate.dump(), "sign_alg_id": SM2_WITH_SM3,
             "signed_value": _bits(signed)}
        ).dump()
    )  # fmt: skip


def sign_document(
    signer: Sm2Authority, seal: bytes, document: bytes, *, property_info: str = "license"
) -> bytes:
    """The DER ``SES_Signature`` of ``signer`` over ``document`` with ``seal``."""
    tbs = TbsSign(
        {
            "version": 4, "eseal": SeSeal.load(seal),
            "time_info": datetime.now(UTC).replace(microsecond=0),
            "data_hash": _bits(sm3(document)), "property_info": property_info,
        }
    )  # fmt: skip
    signature = signer.key.sign_der(tbs.dump())
    return bytes(
        SesSignature(
            {"to_sign": tbs, "cert": signer.certificate.dump(), "signature_alg_id": SM2_WITH_SM3,
             "signature": _bits(signature)}
        ).dump()
    )  # fmt: skip


@dataclass(frozen=True)
class SesVerdict:
    seal_name: str
    es_id: str
    signer: str
    signed_at: datetime


def _fail(rule: str, message: str) -> RecordError:
    return RecordError(f"ses.{rule}", message)


def verify_document(
    signature: bytes, document: bytes, roots: list[x509.Certificate], *, at: datetime | None = None
) -> SesVerdict:
    """Check an ``SES_Signature`` over ``document``: its structure, the document's hash,
    the signer's and the seal's signatures, both certificates under one of ``roots``, the
    signer being the seal's holder and the seal valid at signing. Raises ``RecordError``
    (``ses.malformed``, ``ses.data_hash``, ``ses.signature``, ``ses.seal_signature``,
    ``ses.untrusted``, ``ses.not_the_holder``, ``ses.seal_expired``)."""
    try:
        ses = SesSignature.load(signature, strict=True)
        tbs = ses["to_sign"]
        seal = tbs["eseal"]
        info = seal["e_seal_info"]
        signer = x509.Certificate.load(ses["cert"].native)
        maker = x509.Certificate.load(seal["cert"].native)
        holders = [x509.Certificate.load(c) for c in info["property"]["cert_list"].native]
        header = info["header"]
        if header["id"].native != "ES" or header["version"].native != 4:
            raise _fail("malformed", "not a version 4 electronic seal")
        signed_at: datetime = tbs["time_info"].native
        valid_start: datetime = info["property"]["valid_start"].native
        valid_end: datetime = info["property"]["valid_end"].native
        signer_dump = signer.dump()
        tbs_der = tbs.dump()
        to_sign = _SealToSign(
            {"e_seal_info": info, "cert": seal["cert"], "sign_alg_id": seal["sign_alg_id"]}
        ).dump()
        signer_key = _public_key(signer)
        maker_key = _public_key(maker)
    except RecordError:
        raise
    except Exception as exc:  # asn1crypto raises many kinds on altered bytes
        raise _fail("malformed", f"not a GB/T 38540 SES_Signature: {exc}") from None
    if _bytes(tbs["data_hash"]) != sm3(document):
        raise _fail("data_hash", "the document is not the one that was signed")
    if ses["signature_alg_id"].dotted != SM2_WITH_SM3 or not signer_key.verify_der(
        tbs_der, _bytes(ses["signature"])
    ):
        raise _fail("signature", "the signer's SM2 signature does not hold")
    if seal["sign_alg_id"].dotted != SM2_WITH_SM3 or not maker_key.verify_der(
        to_sign, _bytes(seal["signed_value"])
    ):
        raise _fail("seal_signature", "the seal was altered after its maker signed it")
    for cert, who in ((maker, "seal maker"), (signer, "signer")):
        if not any(_issued_by(cert, root) or cert.dump() == root.dump() for root in roots):
            raise _fail("untrusted", f"the {who}'s certificate is not under a hub SM2 root")
    if signer_dump not in [h.dump() for h in holders]:
        raise _fail("not_the_holder", "the signer is not the holder the seal names")
    if not valid_start <= (at or signed_at) <= valid_end:
        raise _fail("seal_expired", f"the seal was valid {valid_start} to {valid_end}")
    return SesVerdict(
        info["property"]["name"].native, info["es_id"].native,
        signer.subject.native.get("common_name", ""), signed_at,
    )  # fmt: skip
