import pytest

from sync.secrets import SecretBox, SecretsError


def test_sealed_credentials_are_opaque_and_open_again():
    box = SecretBox("a" * 40)
    sealed = box.seal({"access_token": "shpat_123", "refresh_token": "r"})
    assert "shpat_123" not in sealed
    assert box.open(sealed) == {"access_token": "shpat_123", "refresh_token": "r"}
    assert box.open(None) == {}


def test_rotation_keeps_old_credentials_readable_and_wrong_key_fails_clearly():
    old = SecretBox("old-key-" * 5).seal({"key": "ck_1"})
    rotated = SecretBox("new-key-" * 5, previous_keys=("old-key-" * 5,))
    assert rotated.open(old) == {"key": "ck_1"}
    with pytest.raises(SecretsError, match="CIBLE_PREVIOUS_SECRET_KEYS"):
        SecretBox("another-key-" * 4).open(old)
