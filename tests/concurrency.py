"""Real concurrent writers for the PostgreSQL race tests: staff users, and a
barrier that starts each user's work in its own thread and connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from documents import roles
from documents.models import StaffProfile
from documents.tests import factories as doc_factories


def staff_writers(count: int, *, prefix: str = "writer") -> list:
    """``count`` staff users of 技术部 (``writer0``, ``writer1`` …)."""
    tech = doc_factories.department("技术部")
    group = Group.objects.get(name=roles.STAFF)
    users = []
    for i in range(count):
        user = get_user_model().objects.create_user(f"{prefix}{i}", password="pw")
        user.groups.add(group)
        StaffProfile.objects.create(user=user, department=tech)
        users.append(user)
    return users


def race(users, work: Callable) -> tuple[list, list[BaseException]]:
    """Each user runs ``work(user)`` in its own thread, all starting at once;
    returns what the calls returned (each an iterable) and what they raised."""
    barrier = threading.Barrier(len(users))
    results: list = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(user) -> None:
        try:
            barrier.wait(timeout=30)
            made = work(user)
            with lock:
                results.extend(made)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return results, errors
