"""SQLite's hot writes: one thread, one connection, statements compiled once and run on the raw driver.

Why not aiosqlite or a thread pool with SQLAlchemy: for a one-row upsert the write itself costs about
20 µs, while aiosqlite hands begin, execute, fetch and commit to its thread one by one, and a
SQLAlchemy ``Connection`` adds pool checkout, events and result objects around it. Here a write is one
hop to the writer thread and one back: the statement is compiled by SQLAlchemy once (so the SQL and the
type conversions are exactly SQLAlchemy's), then runs on the sqlite3 connection in one transaction.
One thread also means this process's hot writes never wait on each other's locks; the connection's
busy timeout covers the other processes and connections.

Results come back through a pipe the event loop watches, not ``call_soon_threadsafe``: on the answer
path the hand-back is a large part of a write's cost, and one byte on a pipe wakes the loop with fewer
system calls than asyncio's self-pipe socket (bench/interactions: about 0.07–0.1 ms less per answer).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Parameters = dict[str, Any] | list[dict[str, Any]]
Rows = list[tuple[Any, ...]]
# Compiled statements kept. Hot statements are module constants, compiled once; the bound only keeps a
# statement built on every call from growing the cache (it is then compiled each time, still correct).
COMPILED_KEPT = 64


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # bind parameter names, in the order of the SQL's "?" placeholders
    processors: tuple[Callable[[Any], Any] | None, ...]  # SQLAlchemy's Python → driver conversions
    constants: dict[str, Any]  # values given in the statement (e.g. ``values(status="open")``)

    @classmethod
    def of(cls, statement: Executable, keys: Sequence[str], dialect: Dialect) -> _Compiled:
        if not isinstance(statement, ClauseElement):
            raise TypeError(f"the SQLite writer runs SQL expressions, not {type(statement).__name__}")
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        assert isinstance(compiled, SQLCompiler)
        if compiled.positiontup is None or compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("the SQLite writer takes plain statements (no IN lists or literal parameters)")
        if compiled.insert_prefetch or compiled.update_prefetch:
            # A Python-side default SQLAlchemy would compute at execution: this path does not.
            raise ValueError("the SQLite writer needs every column value given (a Python-side default is unset)")
        names = tuple(compiled.positiontup)
        constants: dict[str, Any] = {}
        for name in names:
            bind = compiled.binds[name]
            if name not in keys:
                if bind.required:
                    raise ValueError(f"the SQLite writer needs the parameter {name!r}")
                constants[name] = bind.effective_value  # a value written into the statement itself
        processors = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
        return cls(compiled.string, names, processors, constants)

    def row(self, parameters: dict[str, Any]) -> tuple[Any, ...]:
        values = self.constants | parameters if self.constants else parameters
        return tuple(
            [
                values[name] if process is None else process(values[name])
                for name, process in zip(self.names, self.processors, strict=True)
            ]
        )


class SQLiteWriter:
    """Runs single-statement writes on its own thread; ``write`` awaits the committed result."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._jobs: queue.SimpleQueue[tuple[Executable, Parameters, asyncio.Future[Rows]] | None] = queue.SimpleQueue()
        self._compiled: dict[tuple[int, tuple[str, ...]], tuple[Executable, _Compiled]] = {}
        self._thread: threading.Thread | None = None
        self._done: collections.deque[tuple[asyncio.Future[Rows], Rows | BaseException]] = collections.deque()
        self._pipe: tuple[int, int] | None = None  # read and write ends, kept until unwatch()
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop watching the pipe

    async def write(self, statement: Executable, parameters: Parameters) -> Rows:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._watch(loop)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
            self._thread.start()
        future: asyncio.Future[Rows] = loop.create_future()
        self._jobs.put((statement, parameters, future))
        return await future

    def close(self) -> None:
        """Finish the queued writes, then stop the thread (the watching loop must keep running meanwhile)."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None

    def unwatch(self) -> None:
        """After close(), on the loop's thread: stop watching for results and release the pipe."""
        if self._pipe is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._pipe[0])
            for end in self._pipe:
                os.close(end)
            self._pipe = None
        self._loop = None
        self._deliver_all()

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        # Another loop than before (tests run one per test): move the reader; the pipe stays, so the
        # writer thread never writes to a closed descriptor.
        if self._pipe is None:
            read_end, write_end = os.pipe()
            os.set_blocking(read_end, False)
            os.set_blocking(write_end, False)
            self._pipe = (read_end, write_end)
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._pipe[0])
        loop.add_reader(self._pipe[0], self._on_results, self._pipe[0])
        self._loop = loop

    def _on_results(self, read_end: int) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(read_end, 4096)
        self._deliver_all()

    def _deliver_all(self) -> None:
        while self._done:
            _settle(*self._done.popleft())

    def _hand_back(self, future: asyncio.Future[Rows], result: Rows | BaseException) -> None:
        """From the writer thread: the result to the awaiting task, on its loop."""
        pipe = self._pipe
        if pipe is not None and future.get_loop() is self._loop:
            self._done.append((future, result))
            # One byte wakes the loop; a full pipe means wake-ups are already pending.
            with contextlib.suppress(BlockingIOError):
                os.write(pipe[1], b"\0")
            return
        # RuntimeError: the loop closed while the write ran (shutdown), so nobody waits for it.
        with contextlib.suppress(RuntimeError):
            future.get_loop().call_soon_threadsafe(_settle, future, result)

    def _run(self) -> None:
        # The pool's connection, so the engine's connect hook sets the pragmas (WAL, foreign keys, busy
        # timeout); held by this thread for its whole life. Nothing may end this loop but close():
        # a write whose future is never settled would leave its caller waiting forever.
        pooled: Any = None
        try:
            while (job := self._jobs.get()) is not None:
                statement, parameters, future = job
                try:
                    if pooled is None:
                        pooled = self._connect()
                    result: Rows | BaseException = self._execute(pooled.driver_connection, statement, parameters)
                except BaseException as exc:  # handed to the awaiting task, which raises it
                    if pooled is not None:
                        with contextlib.suppress(Exception):
                            pooled.driver_connection.rollback()
                    result = exc
                self._hand_back(future, result)
        finally:
            if pooled is not None:
                pooled.close()

    def _connect(self) -> Any:
        try:
            return self._engine.raw_connection()
        except sqlite3.Error as exc:  # e.g. the file cannot be opened: SQLAlchemy's error, as elsewhere
            raise DBAPIError.instance(None, None, exc, sqlite3.Error) from exc

    def _execute(self, connection: Any, statement: Executable, parameters: Parameters) -> Rows:
        many = parameters if isinstance(parameters, list) else [parameters]
        if not many:
            return []
        compiled = self._compile(statement, tuple(many[0]))
        cursor = connection.cursor()
        try:
            if len(many) == 1:
                cursor.execute(compiled.sql, compiled.row(many[0]))
                rows = [tuple(row) for row in cursor.fetchall()]
            else:
                cursor.executemany(compiled.sql, [compiled.row(p) for p in many])
                rows = []
            connection.commit()
            return rows
        except sqlite3.Error as exc:
            # The same exceptions SQLAlchemy raises (IntegrityError, OperationalError, …).
            raise DBAPIError.instance(compiled.sql, None, exc, sqlite3.Error) from exc
        finally:
            cursor.close()

    def _compile(self, statement: Executable, keys: tuple[str, ...]) -> _Compiled:
        # Keyed by identity (hot statements are built once, see engine.upsert); the statement is kept
        # alongside, so its id cannot pass to another object while the entry exists.
        key = (id(statement), keys)
        cached = self._compiled.get(key)
        if cached is None:
            if len(self._compiled) >= COMPILED_KEPT:
                del self._compiled[next(iter(self._compiled))]
            cached = (statement, _Compiled.of(statement, keys, self._engine.dialect))
            self._compiled[key] = cached
        return cached[1]


def _settle(future: asyncio.Future[Rows], result: Rows | BaseException) -> None:
    if future.cancelled() or future.get_loop().is_closed():  # nobody waits for it any more
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
