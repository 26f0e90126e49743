"""E-license sealing speed: JWS against raw ECDSA, and PDFs rendered and sealed.

    .venv/bin/python bench/vault.py [--jws 3000] [--pdfs 60] [--repeat 5]

Prints, one figure a line:
    jws_signs_per_s        license JSON sealed as compact JWS (ES256) through the vault's signer
    jws_verifies_per_s     the same tokens parsed and verified against the seal certificate
    raw_ecdsa_signs_per_s  plain `cryptography` ECDSA P-256 signatures over the same bytes
    sign_ratio             jws_signs_per_s / raw_ecdsa_signs_per_s (target >= 0.5)
    pdfs_per_s             e-license PDFs rendered and PAdES-sealed (B-B) (target >= 20)
    ltv_pdfs_per_s         the same, PAdES B-LTA: signature timestamp from the hub TSA (in
                           process), the chain and the hub's CRL in the DSS, document
                           timestamp (target >= 10)
Rates are medians of --repeat runs, one core, keys in memory.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from license_vault.catalog import load_catalog
from license_vault.document import LicenseData
from license_vault.identifier import ElicenseId, new_serial
from license_vault.jws import JwsSealer, parse_compact, verify_signature
from license_vault.keys import FileKeySigner, generate_key
from license_vault.pades import LtvMaterial, PdfSealer
from license_vault.pki import (
    RevocationUrls,
    fingerprint,
    make_root_certificate,
    make_seal_certificate,
    make_tsa_certificate,
)
from license_vault.render import Renderer
from license_vault.sealimage import draw_seal_png
from license_vault.tsa import HubTsa

ISSUER, AUTHORITY = "11100000000013127D", "北京市市场监督管理局"


def _rate(n: int, fn: Callable[[int], object], repeat: int) -> float:
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jws", type=int, default=3000)
    ap.add_argument("--pdfs", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    root_key, key = generate_key(), generate_key()
    root = make_root_certificate(root_key, "通办数据共享交换平台", 3650)
    urls = RevocationUrls.under("http://127.0.0.1:8000/licenses/pki", root)
    cert = make_seal_certificate(
        key, authority_name=AUTHORITY, authority_code=ISSUER, root=root, root_key=root_key,
        days=365, urls=urls,
    )  # fmt: skip
    tsa_key = generate_key()
    tsa_cert = make_tsa_certificate(
        tsa_key, hub_name="通办数据共享交换平台", root=root, root_key=root_key, days=3650,
        urls=urls,
    )  # fmt: skip
    now_utc = datetime.now(UTC)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(now_utc - timedelta(minutes=5))
        .next_update(now_utc + timedelta(days=1))
        .sign(root_key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    signer = FileKeySigner(key, [cert, root])
    business = load_catalog().by_name("营业执照")
    now = datetime.now(UTC)
    payloads, documents = [], []
    for i in range(max(args.jws, args.pdfs)):
        ident = ElicenseId(business.code, ISSUER, new_serial(business.code, ISSUER, 2026), 1)
        record = {
            "license_number": f"9111010{i:011d}", "holder_name": f"北京华兴科技有限公司{i}",
            "holder_id": "91110105MA01ABCD2X", "holder_id_type": "001",
            "issuer_name": AUTHORITY, "issuer_code": ISSUER, "issue_date": "2024-03-01",
            "valid_from": "2024-03-01", "valid_until": None, "jurisdiction_code": "110105",
            "fields": {"legal_rep_name": "张三", "registered_capital": "100万元",
                       "business_scope": "技术开发、技术咨询、技术服务。"},
        }  # fmt: skip
        data = LicenseData.from_record(
            record, business, str(ident), 1, now, f"https://hub.example/verify?id={ident}"
        )
        documents.append(data)
        payloads.append(data.to_json())

    sealer = JwsSealer(signer, kid=fingerprint(cert))
    ecdsa = ec.ECDSA(hashes.SHA256())
    tokens = [sealer.seal(p) for p in payloads[: args.jws]]
    jws_rate = _rate(args.jws, lambda i: sealer.seal(payloads[i]), args.repeat)
    raw_rate = _rate(args.jws, lambda i: key.sign(payloads[i], ecdsa), args.repeat)
    verify_rate = _rate(
        args.jws, lambda i: verify_signature(parse_compact(tokens[i]), cert), args.repeat
    )
    assert all(verify_signature(parse_compact(t), cert) for t in tokens)

    renderer, pdf_sealer = Renderer(), PdfSealer(signer)
    png = draw_seal_png(ISSUER)

    def one_pdf(i: int) -> bytes:
        pdf = renderer.render(documents[i], business, png, seal_name=AUTHORITY)
        return pdf_sealer.seal(
            pdf, reason="营业执照电子证照签发", location="110105", name=AUTHORITY
        )

    one_pdf(0)  # font and image caches warm, as in a running vault
    pdf_rate = _rate(args.pdfs, one_pdf, args.repeat)

    ltv_sealer = PdfSealer(
        signer, ltv=LtvMaterial([root], crls=[crl]), tsa=HubTsa(tsa_key, tsa_cert)
    )

    def one_ltv_pdf(i: int) -> bytes:
        pdf = renderer.render(documents[i], business, png, seal_name=AUTHORITY)
        return ltv_sealer.seal(
            pdf, reason="营业执照电子证照签发", location="110105", name=AUTHORITY
        )

    one_ltv_pdf(0)
    ltv_rate = _rate(args.pdfs, one_ltv_pdf, args.repeat)

    print(f"jws_signs_per_s: {jws_rate:.0f}")
    print(f"jws_verifies_per_s: {verify_rate:.0f}")
    print(f"raw_ecdsa_signs_per_s: {raw_rate:.0f}")
    print(f"sign_ratio: {jws_rate / raw_rate:.2f}")
    print(f"pdfs_per_s: {pdf_rate:.1f}")
    print(f"ltv_pdfs_per_s: {ltv_rate:.1f}")


if __name__ == "__main__":
    main()
