"""The exception hierarchy: new kinds stay catchable as the kinds they refine."""

from __future__ import annotations

import pytest

from shared.errors import (
    BundleError,
    CreationUnconfirmed,
    HostLimitReached,
    MeetingBusy,
    MeetingCallFailed,
    MeetingRefusal,
    MeetingRefused,
    PermanentFailure,
    ProviderAccountFailure,
    QuotaExhausted,
    TransientFailure,
)


@pytest.mark.parametrize(
    ("error", "is_transient", "concerns_one_meeting"),
    [
        (MeetingBusy("in progress", retry_after=900.0), True, True),
        (HostLimitReached("daily limit", retry_after=60.0), True, True),
        (MeetingRefused("invalid fields"), False, True),
        (ProviderAccountFailure("credentials refused", setting="ZOOM_CLIENT_ID"), False, False),
        (CreationUnconfirmed("answer lost"), True, False),
        (MeetingCallFailed("HTTP 500"), True, False),
        (QuotaExhausted("quotaExceeded"), True, False),
    ],
)
def test_each_kind_refines_the_kind_it_replaces(
    error: BundleError, is_transient: bool, concerns_one_meeting: bool
) -> None:
    assert isinstance(error, TransientFailure) is is_transient
    assert isinstance(error, PermanentFailure) is not is_transient
    assert isinstance(error, MeetingRefusal) is concerns_one_meeting


def test_transient_refusals_keep_their_retry_hint() -> None:
    busy = MeetingBusy("the meeting is in progress", retry_after=900.0)

    with pytest.raises(TransientFailure) as caught:
        raise busy

    assert caught.value.retry_after == 900.0
    assert str(caught.value) == "the meeting is in progress"


def test_an_account_failure_names_the_setting_to_check() -> None:
    failure = ProviderAccountFailure("Zoom refused the credentials", setting="ZOOM_CLIENT_SECRET")

    assert failure.setting == "ZOOM_CLIENT_SECRET"
    assert str(failure) == "Zoom refused the credentials"


def test_an_exhausted_calendar_quota_backs_off_for_long() -> None:
    quota = QuotaExhausted("Calendar events.list answered 403 (quotaExceeded)")

    assert quota.retry_after == QuotaExhausted.BACK_OFF_SECONDS == 3600.0
    assert quota.recorded is False
