"""Signed reply addresses and Message-IDs: short, reversible, tamper-proof."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.mail.reply_address import (
    InvalidReplyToken,
    ReplyAddressCodec,
    pack_workflow_id,
    unpack_workflow_id,
)

CODEC = ReplyAddressCodec("secret-one", "replies.example.com")
LONG_ID = "schedule-52877001001-6620003001"


def test_address_is_short_and_maps_back() -> None:
    address = CODEC.address_for(LONG_ID)
    local, _, domain = address.partition("@")
    assert domain == "replies.example.com" and local.startswith("reply+")
    assert len(local) <= 45 < 64
    assert CODEC.workflow_for_address(address) == LONG_ID
    assert CODEC.workflow_for_address(address.upper()) == LONG_ID, "relays may change the case"


def test_other_addresses_are_not_ours() -> None:
    assert CODEC.workflow_for_address("jane@example.com") is None
    assert CODEC.workflow_for_address(CODEC.address_for(LONG_ID).replace("replies.", "other.")) is None


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-1] + ("a" if t[-1] != "a" else "b"),  # flipped MAC character
        lambda t: ("a" if t[0] != "a" else "b") + t[1:],  # flipped reference character
        lambda t: t.replace(".", ""),
        lambda t: t + "!",
        lambda t: "",
    ],
)
def test_tampered_tokens_are_rejected(mutate: object) -> None:
    token = CODEC.token_for(LONG_ID)
    with pytest.raises(InvalidReplyToken):
        CODEC.verify_token(mutate(token))  # type: ignore[operator]


def test_token_from_another_secret_is_rejected() -> None:
    other = ReplyAddressCodec("secret-two", "replies.example.com")
    with pytest.raises(InvalidReplyToken, match="signature"):
        CODEC.verify_token(other.token_for(LONG_ID))


def test_too_long_workflow_id_fails_at_send_time() -> None:
    with pytest.raises(ValueError, match="too long"):
        CODEC.token_for("x" * 40)


def test_message_id_carries_the_workflow_and_is_stable() -> None:
    mid = CODEC.message_id_for(f"{LONG_ID}/invitation", LONG_ID)
    assert mid == CODEC.message_id_for(f"{LONG_ID}/invitation", LONG_ID)
    assert mid != CODEC.message_id_for(f"{LONG_ID}/reminder-1", LONG_ID)
    assert mid.startswith("<") and mid.endswith("@replies.example.com>")
    assert CODEC.workflow_for_message_id(mid) == LONG_ID
    assert CODEC.workflow_for_message_id(CODEC.message_id_for("k")) is None
    assert CODEC.workflow_for_message_id("<abc@gmail.com>") is None


def test_bad_configuration_is_rejected() -> None:
    with pytest.raises(ValueError):
        ReplyAddressCodec("", "x.test")
    with pytest.raises(ValueError):
        ReplyAddressCodec("s", "bad@domain")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=2**62).map(str),
            st.sampled_from(["schedule", "mention", "loop", "x", "00123", "Ab_c"]),
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_packing_round_trips(segments: list[str]) -> None:
    workflow_id = "-".join(segments)
    assert unpack_workflow_id(pack_workflow_id(workflow_id)) == workflow_id
