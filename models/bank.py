"""Bank accounts encrypted at rest (AES-256-GCM, key from settings).

The plaintext is a small JSON document; the row keeps the ciphertext and the last three digits of
the account number for masking. Nothing here logs or returns the plaintext except
:func:`decrypt_bank_account`.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from models.settings import current_settings

_AAD = b"haken:bank-account:v1"


@dataclass(frozen=True)
class BankAccount:
    bank_code: str  # 4 digits
    bank_name: str
    branch_code: str  # 3 digits
    branch_name: str
    account_type: str  # ORDINARY (普通) | CURRENT (当座)
    account_number: str  # 7 digits
    holder_kana: str  # full-width katakana

    def __repr__(self) -> str:  # never leak the number into logs or tracebacks
        return f"BankAccount(bank_code={self.bank_code!r}, number=****{self.account_number[-3:]})"

    @property
    def last3(self) -> str:
        return self.account_number[-3:]


def encrypt_bank_account(account: BankAccount, key: bytes | None = None) -> bytes:
    nonce = os.urandom(12)
    plaintext = json.dumps(asdict(account), ensure_ascii=False).encode()
    return nonce + AESGCM(key or current_settings().encryption_key).encrypt(nonce, plaintext, _AAD)


def decrypt_bank_account(blob: bytes, key: bytes | None = None) -> BankAccount:
    nonce, ciphertext = blob[:12], blob[12:]
    plaintext = AESGCM(key or current_settings().encryption_key).decrypt(nonce, ciphertext, _AAD)
    return BankAccount(**json.loads(plaintext))
