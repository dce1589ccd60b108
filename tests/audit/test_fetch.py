"""Node lookups larger than one query's chunk come back complete and correct."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import merkle, queries, service
from secassist.storage.uow import read_only, unit_of_work


def test_fetching_more_nodes_than_one_chunk(session_factory: sessionmaker[Session]) -> None:
    n = service.LOOKUP_CHUNK + 57
    with unit_of_work(session_factory) as s:
        for i in range(n):
            service.record(s, actor=service.SYSTEM, tag="test:node:fetched", subject_type="t", subject_id=i)
    builder = merkle.TreeBuilder()
    expected: dict[merkle.Node, bytes] = {}
    with read_only(session_factory) as s:
        for i in range(n):
            expected.update(builder.append(queries.leaf_of(queries.get_entry(s, i))))
    with read_only(session_factory) as s:  # a fresh session: nothing cached
        got = service.fetch_nodes(s, expected)
        assert got == expected
        assert service.root(s) == builder.root()
