"""Dev accounts: the standard mnemonic gives anvil's and Hardhat's addresses and keys, other
mnemonics and counts are honoured, and the message hashes match eth-account's."""

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct, encode_typed_data

from pyeth.accounts import derive_accounts, eip191_hash, sign_hash, typed_data_hash
from pyeth.keys import recover_address

ANVIL = [
    (
        "f39fd6e51aad88f6f4ce6ab8827279cfffb92266",
        "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    ),
    (
        "70997970c51812dc3a010c7d01b50e0d17dc79c8",
        "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    ),
    (
        "a0ee7a142d267c1f36714e4a8f75612f20a79720",
        "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    ),
]


def test_standard_mnemonic_gives_the_well_known_accounts():
    accounts = derive_accounts()
    assert len(accounts) == 10
    for index, (address, key) in zip((0, 1, 9), ANVIL, strict=True):
        assert accounts[index].address.hex() == address
        assert accounts[index].private_key.hex() == key
    assert accounts[0].checksum_address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def test_other_mnemonic_and_count():
    mnemonic = " ".join(["abandon"] * 11 + ["about"])
    accounts = derive_accounts(mnemonic, 3)
    assert len(accounts) == 3
    Account.enable_unaudited_hdwallet_features()
    expected = Account.from_mnemonic(mnemonic, account_path="m/44'/60'/0'/0/2")
    assert accounts[2].address.hex() == expected.address[2:].lower()
    with pytest.raises(ValueError, match="word list"):
        derive_accounts("not a valid mnemonic at all", 1)
    with pytest.raises(ValueError, match="checksum"):  # known words, wrong checksum word
        derive_accounts(" ".join(["abandon"] * 12), 1)


def test_message_hashes_match_eth_account():
    message = b"\x00\x01hello"
    assert eip191_hash(message) == _hash_eip191_message(encode_defunct(message))
    document = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}],
            "Thing": [{"name": "value", "type": "uint256"}],
        },
        "primaryType": "Thing",
        "domain": {"name": "pyeth"},
        "message": {"value": 7},
    }
    assert typed_data_hash(document) == _hash_eip191_message(
        encode_typed_data(full_message=document)
    )
    with pytest.raises(ValueError):
        typed_data_hash({"types": {}, "primaryType": "Nope", "domain": {}, "message": {}})


def test_signatures_recover_to_the_signer():
    account = derive_accounts()[0]
    digest = eip191_hash(b"hi")
    signature = sign_hash(digest, account.private_key)
    assert len(signature) == 65 and signature[64] in (27, 28)
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    assert recover_address(digest, signature[64] - 27, r, s) == account.address
