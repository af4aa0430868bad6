"""The BigBlueButton client against the local BigBlueButton in a thread: what it sends,
what it reads, join URLs, errors and secrets."""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from local.fakes.bbb_server import BBBServer
from local.ports import free_port
from shared.errors import (
    ConfigurationError,
    InvalidInput,
    MeetingRefused,
    NotFound,
    PermanentFailure,
    ProviderAccountFailure,
    TransientFailure,
)
from shared.providers.bigbluebutton.checksum import checksum, encode_query
from shared.providers.bigbluebutton.client import (
    CHECKSUM_SETTING,
    URL_SETTING,
    BigBlueButtonClient,
    MeetingInfo,
)
from shared.providers.bigbluebutton.meeting_ids import derive_meeting_id
from tests.support.bbb_fixtures import ClientFactory, meeting_of

MEETING = derive_meeting_id("conference-1", "test key")


def _follow(url: str) -> requests.Response:
    """What a browser does with a join URL: follow it to the client or the lobby."""
    return requests.get(url, timeout=5)


# -- create ----------------------------------------------------------------------------------


def test_create_makes_the_meeting_and_answers_it(
    bbb: BBBServer, bbb_client: BigBlueButtonClient
) -> None:
    info = bbb_client.create(MEETING, "Budget review")

    meeting = meeting_of(bbb, MEETING)
    assert isinstance(info, MeetingInfo)
    assert info.meeting_id == MEETING
    assert info.internal_meeting_id == meeting["internalMeetingID"]
    assert info.create_time == meeting["createTime"]
    assert info.voice_bridge == meeting["voiceBridge"]
    assert (info.duplicate, info.running, info.has_user_joined) == (False, False, False)
    assert meeting["name"] == "Budget review"


def test_create_is_idempotent_on_the_meeting_id(
    bbb: BBBServer, bbb_client: BigBlueButtonClient
) -> None:
    first = bbb_client.create(MEETING, "Budget review")

    second = bbb_client.create(MEETING, "Budget review")

    assert second.duplicate
    assert second.internal_meeting_id == first.internal_meeting_id
    assert second.create_time == first.create_time
    assert len(bbb.meetings()) == 1


def test_create_sends_its_options_under_bigbluebutton_names(
    bbb: BBBServer, bbb_client: BigBlueButtonClient
) -> None:
    bbb_client.create(
        MEETING,
        "Budget review",
        record=True,
        guest_policy="ASK_MODERATOR",
        welcome="Welcome to %%CONFNAME%%",
        logout_url="https://calendar.example/done",
        meeting_expire_if_no_user_joined_minutes=10,
        end_when_no_moderator=False,
        meta={"origin": "calendar", "eventRef": "a\x00bc"},
    )

    meeting = meeting_of(bbb, MEETING)
    sent = meeting["params"]
    assert sent["record"] == "true"
    assert sent["guestPolicy"] == "ASK_MODERATOR"
    assert sent["logoutURL"] == "https://calendar.example/done"
    assert sent["meetingExpireIfNoUserJoinedInMinutes"] == "10"
    assert sent["endWhenNoModerator"] == "false"
    assert meeting["record"] is True
    assert meeting["welcome"] == "Welcome to Budget review"
    assert meeting["metadata"] == {"origin": "calendar", "eventref": "abc"}
    assert not any("PW" in name for name in sent)  # no deprecated passwords


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("Team meeting + review", "Team meeting + review"),
        ("Åsa & Björn: 会議 😀", "Åsa & Björn: 会議 😀"),
        ("Bell\x07 and\ttab", "Bell andtab"),
        ("  padded  ", "padded"),
        ("x" * 300, "x" * 256),
        ("😀" * 200, "😀" * 128),
    ],
    ids=["plus", "unicode", "controls", "padded", "long", "long-in-utf16"],
)
def test_names_arrive_as_bigbluebutton_keeps_them(
    bbb: BBBServer, bbb_client: BigBlueButtonClient, name: str, kept: str
) -> None:
    bbb_client.create(MEETING, name)

    assert meeting_of(bbb, MEETING)["name"] == kept
    assert bbb_client.get_meeting_info(MEETING).name == kept


def test_the_query_sent_is_the_query_signed(
    bbb: BBBServer, bbb_client: BigBlueButtonClient
) -> None:
    bbb_client.create(MEETING, "C++ & Ünïcode review ~ 50%")

    [call] = bbb.calls("create")

    query = encode_query([("name", "C++ & Ünïcode review ~ 50%"), ("meetingID", MEETING)])
    signature = checksum("create", query, bbb.secret, "sha256")
    assert call.raw_query == f"{query}&checksum={signature}"
    assert call.returncode == "SUCCESS"


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha384", "sha512"])
def test_each_algorithm_is_accepted(
    bbb: BBBServer, make_bbb_client: ClientFactory, algorithm: str
) -> None:
    client = make_bbb_client(algorithm=algorithm)

    client.create(MEETING, "Budget review")

    assert [call.checksum_algorithm for call in bbb.calls("create")] == [algorithm]


@pytest.mark.parametrize(
    ("meeting_id", "name", "options"),
    [
        ("x", "Budget review", {}),
        ("a,b", "Budget review", {}),
        ("a" * 257, "Budget review", {}),
        ("a\nb", "Budget review", {}),
        (MEETING, "x", {}),
        (MEETING, " \x00 ", {}),
        (MEETING, "Budget review", {"guest_policy": "SOMETIMES"}),
        (MEETING, "Budget review", {"duration": -1}),
    ],
    ids=[
        "short-id",
        "comma",
        "long-id",
        "control-id",
        "short-name",
        "blank-name",
        "policy",
        "negative",
    ],
)
def test_what_bigbluebutton_would_refuse_is_refused_before_any_request(
    bbb: BBBServer,
    bbb_client: BigBlueButtonClient,
    meeting_id: str,
    name: str,
    options: dict[str, Any],
) -> None:
    with pytest.raises(InvalidInput):
        bbb_client.create(meeting_id, name, **options)

    assert bbb.calls() == []


@pytest.mark.parametrize(
    "options",
    [{"colour": "blue"}, {"record": "yes"}, {"duration": True}, {"welcome": 3}],
    ids=["unknown", "record-not-bool", "bool-for-int", "int-for-str"],
)
def test_unknown_or_mistyped_options_are_refused(
    bbb: BBBServer, bbb_client: BigBlueButtonClient, options: dict[str, Any]
) -> None:
    with pytest.raises(TypeError):
        bbb_client.create(MEETING, "Budget review", **options)

    assert bbb.calls() == []


def test_a_bad_meta_name_is_refused(bbb_client: BigBlueButtonClient) -> None:
    with pytest.raises(InvalidInput, match="meta"):
        bbb_client.create(MEETING, "Budget review", meta={"1st": "x"})


# -- join URLs -------------------------------------------------------------------------------


def test_a_join_url_carries_only_that_persons_data(
    bbb: BBBServer, bbb_client: BigBlueButtonClient
) -> None:
    url = bbb_client.join_url(MEETING, "Ann Example", "moderator", "ann@example.com", False)

    parts = urlsplit(url)
    params = parse_qsl(parts.query, strict_parsing=True)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{bbb.api_url}join"
    assert [name for name, _ in params] == [
        "fullName",
        "meetingID",
        "role",
        "userID",
        "guest",
        "checksum",
    ]
    assert dict(params) | {"checksum": ""} == {
        "fullName": "Ann Example",
        "meetingID": MEETING,
        "role": "MODERATOR",
        "userID": "ann@example.com",
        "guest": "false",
        "checksum": "",
    }
    assert bbb.secret not in url
    assert bbb.calls() == []  # building it calls nothing


def test_following_a_moderator_join_url_enters_the_meeting(
    bbb: BBBServer, bbb_client: BigBlueButtonClient
) -> None:
    bbb_client.create(MEETING, "Budget review")

    page = _follow(bbb_client.join_url(MEETING, "Ann Example", "MODERATOR", "ann", False))
    info = bbb_client.get_meeting_info(MEETING)

    assert page.status_code == 200
    assert page.url.startswith(f"{bbb.base_url}/html5client/join?sessionToken=")
    assert info.running
    assert [(a.user_id, a.full_name, a.role) for a in info.attendees] == [
        ("ann", "Ann Example", "MODERATOR")
    ]
    assert (info.participant_count, info.moderator_count) == (1, 1)


def test_under_ask_moderator_guests_wait_and_admitted_viewers_do_not(
    bbb: BBBServer, bbb_client: BigBlueButtonClient
) -> None:
    bbb_client.create(MEETING, "Budget review", guest_policy="ASK_MODERATOR")

    guest_page = _follow(bbb_client.join_url(MEETING, "Gus", "VIEWER", "gus", True))
    viewer_page = _follow(bbb_client.join_url(MEETING, "Vi", "VIEWER", "vi", False))
    lobby = [user["userID"] for user in bbb.lobby(MEETING)]
    attendees_before = [a.user_id for a in bbb_client.get_meeting_info(MEETING).attendees]
    bbb.admit(MEETING, "gus")
    attendees_after = {a.user_id for a in bbb_client.get_meeting_info(MEETING).attendees}

    assert "/html5client/guestWait?" in guest_page.url
    assert "/html5client/join?" in viewer_page.url
    assert lobby == ["gus"]
    assert attendees_before == ["vi"]
    assert attendees_after == {"gus", "vi"}


def test_a_join_url_with_the_create_time_is_refused_for_a_later_meeting(
    bbb: BBBServer, bbb_client: BigBlueButtonClient
) -> None:
    created = bbb_client.create(MEETING, "Budget review")
    url = bbb_client.join_url(
        MEETING, "Ann", "MODERATOR", "ann", False, create_time=created.create_time
    )
    bbb_client.end(MEETING)
    bbb_client.create(MEETING, "Budget review")

    page = requests.get(url, timeout=5, allow_redirects=False)

    assert "createTime" in dict(parse_qsl(urlsplit(url).query))
    assert page.status_code == 302
    assert "mismatchCreateTimeParam" in page.headers["Location"]
    assert bbb.attendees(MEETING) == []


@pytest.mark.parametrize(
    ("full_name", "role", "user_id"),
    [
        (" ", "MODERATOR", "u"),
        ("Ann", "HOST", "u"),
        ("Ann", "VIEWER", ""),
        ("Ann", "VIEWER", "a\nb"),
    ],
    ids=["no-name", "role", "no-user-id", "control-in-user-id"],
)
def test_join_urls_need_a_name_a_role_and_a_user_id(
    bbb_client: BigBlueButtonClient, full_name: str, role: str, user_id: str
) -> None:
    with pytest.raises(InvalidInput):
        bbb_client.join_url(MEETING, full_name, role, user_id, False)


# -- isMeetingRunning, getMeetingInfo, end ---------------------------------------------------


def test_a_meeting_runs_once_someone_entered(
    bbb: BBBServer, bbb_client: BigBlueButtonClient
) -> None:
    bbb_client.create(MEETING, "Budget review")

    before = bbb_client.is_meeting_running(MEETING)
    _follow(bbb_client.join_url(MEETING, "Ann", "MODERATOR", "ann", False))
    after = bbb_client.is_meeting_running(MEETING)

    assert (before, after) == (False, True)
    assert bbb_client.is_meeting_running(derive_meeting_id("never", "test key")) is False


def test_meeting_info_reads_the_meeting(bbb: BBBServer, bbb_client: BigBlueButtonClient) -> None:
    bbb_client.create(MEETING, "Budget & review", meta={"origin": "calendar"})

    info = bbb_client.get_meeting_info(MEETING)

    meeting = meeting_of(bbb, MEETING)
    assert info.name == "Budget & review"
    assert info.internal_meeting_id == meeting["internalMeetingID"]
    assert info.create_time == meeting["createTime"]
    assert info.metadata == {"origin": "calendar"}
    assert (info.running, info.attendees, info.forcibly_ended) == (False, (), False)


def test_an_unknown_meeting_is_not_found(bbb_client: BigBlueButtonClient) -> None:
    with pytest.raises(NotFound, match="notFound"):
        bbb_client.get_meeting_info(MEETING)
    with pytest.raises(NotFound):
        bbb_client.end(MEETING)


def test_end_ends_the_meeting(bbb: BBBServer, bbb_client: BigBlueButtonClient) -> None:
    bbb_client.create(MEETING, "Budget review")
    _follow(bbb_client.join_url(MEETING, "Ann", "MODERATOR", "ann", False))

    bbb_client.end(MEETING)

    assert bbb.meetings() == []
    assert bbb.ended_meetings()[0]["hasBeenForciblyEnded"] is True
    assert bbb_client.is_meeting_running(MEETING) is False
    with pytest.raises(NotFound):
        bbb_client.get_meeting_info(MEETING)


# -- failures --------------------------------------------------------------------------------


def test_a_5xx_is_retried_with_backoff(bbb: BBBServer, make_bbb_client: ClientFactory) -> None:
    client = make_bbb_client()
    bbb.inject("create", "status", status=503)

    info = client.create(MEETING, "Budget review")

    assert not info.duplicate
    assert [call.status for call in bbb.calls("create")] == [503, 200]
    assert len(bbb.meetings()) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_5xx_and_429_that_last_are_transient(
    bbb: BBBServer, make_bbb_client: ClientFactory, status: int
) -> None:
    client = make_bbb_client(max_retry_seconds=0)
    bbb.inject("getMeetingInfo", "status", status=status, count=5)

    with pytest.raises(TransientFailure, match=f"HTTP {status}"):
        client.get_meeting_info(MEETING)

    assert bbb.count("getMeetingInfo") == 1


def test_a_timeout_is_transient(bbb: BBBServer, make_bbb_client: ClientFactory) -> None:
    client = make_bbb_client(timeout=0.2, max_retry_seconds=0)
    bbb.inject("isMeetingRunning", "delay", delay=30.0)

    with pytest.raises(TransientFailure, match="in time"):
        client.is_meeting_running(MEETING)
    bbb.reset()  # lets the delayed call go


def test_an_unreachable_server_is_transient(make_bbb_client: ClientFactory) -> None:
    client = make_bbb_client(
        api_url=f"http://127.0.0.1:{free_port()}/bigbluebutton/api/", max_retry_seconds=0
    )

    with pytest.raises(TransientFailure, match="could not be reached"):
        client.is_meeting_running(MEETING)


@pytest.mark.parametrize("kind", ["non_xml", "dtd", "truncated"])
def test_an_answer_that_cannot_be_read_safely_is_transient(
    bbb: BBBServer, make_bbb_client: ClientFactory, kind: str
) -> None:
    client = make_bbb_client(max_retry_seconds=0)
    bbb.inject("isMeetingRunning", kind)

    with pytest.raises(TransientFailure, match="unreadable"):
        client.is_meeting_running(MEETING)


def test_an_unreadable_answer_is_tried_again(
    bbb: BBBServer, bbb_client: BigBlueButtonClient
) -> None:
    bbb.inject("create", "dtd")

    info = bbb_client.create(MEETING, "Budget review")

    assert info.internal_meeting_id == meeting_of(bbb, MEETING)["internalMeetingID"]
    assert bbb.count("create") == 2


@pytest.mark.parametrize(
    "overrides",
    [{"secret": "not the secret"}, {"algorithm": "sha1"}],
    ids=["wrong-secret", "algorithm-not-supported"],
)
def test_a_checksum_error_is_an_account_failure(
    bbb: BBBServer, make_bbb_client: ClientFactory, overrides: dict[str, str]
) -> None:
    bbb.set_algorithms(("sha256",))
    client = make_bbb_client(**overrides)

    with pytest.raises(ProviderAccountFailure, match="checksumError") as caught:
        client.create(MEETING, "Budget review")

    assert caught.value.setting == CHECKSUM_SETTING
    assert bbb.meetings() == []
    assert bbb.count("create") == 1  # not retried


def test_a_wrong_api_url_is_an_account_failure(
    bbb: BBBServer, make_bbb_client: ClientFactory
) -> None:
    client = make_bbb_client(api_url=f"{bbb.base_url}/bbb/api/")

    with pytest.raises(ProviderAccountFailure, match="HTTP 404") as caught:
        client.is_meeting_running(MEETING)

    assert caught.value.setting == URL_SETTING


def test_another_refusal_is_a_refusal_of_the_meeting(
    bbb: BBBServer, bbb_client: BigBlueButtonClient
) -> None:
    bbb.inject("create", "failed", key="maxParticipantsReached", message="no room")

    with pytest.raises(MeetingRefused, match="maxParticipantsReached") as caught:
        bbb_client.create(MEETING, "Budget review")

    assert isinstance(caught.value, PermanentFailure)
    assert "no room" not in str(caught.value)


def test_a_query_the_session_would_rewrite_is_not_sent(
    bbb: BBBServer, make_bbb_client: ClientFactory
) -> None:
    class Rewriting(requests.Session):
        def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
            prepared = super().prepare_request(request)
            prepared.url = (prepared.url or "").replace("meetingID=", "meetingID=x")
            return prepared

    client = make_bbb_client(session_factory=Rewriting)

    with pytest.raises(PermanentFailure, match="not be sent as signed"):
        client.is_meeting_running(MEETING)

    assert bbb.calls() == []


@pytest.mark.parametrize(
    "options",
    [
        {"api_url": "ftp://bbb.example/bigbluebutton/api/"},
        {"api_url": "https://bbb.example/bigbluebutton/api/?x=1"},
        {"secret": ""},
        {"algorithm": "md5"},
    ],
    ids=["scheme", "query", "no-secret", "algorithm"],
)
def test_a_misconfigured_client_is_refused(options: dict[str, str]) -> None:
    settings: dict[str, Any] = {"api_url": "https://bbb.example/bigbluebutton/api/", "secret": "k"}
    settings.update(options)

    with pytest.raises(ConfigurationError):
        BigBlueButtonClient(**settings)


# -- secrets and threads ---------------------------------------------------------------------


def test_no_secret_checksum_url_or_name_reaches_logs_or_errors(
    bbb: BBBServer, make_bbb_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_bbb_client(max_retry_seconds=0)
    bbb.inject("create", "status", status=502)
    bbb.inject("getMeetingInfo", "dtd")
    bbb.inject("end", "failed", key="notFound")
    errors: list[str] = []
    for action in (
        lambda: client.create(MEETING, "Secret Board Meeting"),
        lambda: client.get_meeting_info(MEETING),
        lambda: client.end(MEETING),
        lambda: make_bbb_client(secret="wrong-secret-value").create(
            MEETING, "Secret Board Meeting"
        ),
    ):
        with pytest.raises(Exception) as caught:  # noqa: PT011 (each raises its own kind)
            action()
        errors.append(str(caught.value))
        errors.append(repr(caught.value.__cause__))
    signatures = [call.raw_query.rsplit("checksum=", 1)[1] for call in bbb.calls()]

    # urllib3 logs whole URLs at DEBUG: setup_logging keeps it at WARNING in deployments.
    ours = [record for record in caplog.records if record.name.startswith("shared.")]
    texts = errors + [record.getMessage() + str(record.__dict__) for record in ours]
    assert len(ours) >= 4
    for text in texts:
        assert bbb.secret not in text
        assert "wrong-secret-value" not in text
        assert "Secret Board Meeting" not in text
        assert "Secret+Board" not in text
        assert "127.0.0.1" not in text
        assert not any(signature in text for signature in signatures)
    assert bbb.secret not in repr(client)


def test_threads_get_their_own_sessions_and_close_closes_them(
    bbb: BBBServer, make_bbb_client: ClientFactory
) -> None:
    made: list[Tracked] = []

    class Tracked(requests.Session):
        closed = False

        def close(self) -> None:
            self.closed = True
            super().close()

    def factory() -> requests.Session:
        session = Tracked()
        made.append(session)
        return session

    client = make_bbb_client(session_factory=factory)
    client.create(MEETING, "Budget review")
    other = threading.Thread(target=lambda: client.is_meeting_running(MEETING))
    other.start()
    other.join(timeout=10)
    client.create(MEETING, "Budget review")

    assert len(made) == 2
    client.close()
    assert all(session.closed for session in made)
