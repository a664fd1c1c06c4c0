"""Cost models: the :class:`Simulator` interface, its metrics, and :class:`ExternalSimulator` for binaries.

A simulator is a pure function from (design, workload) to named metrics. It knows nothing
of Gymnasium, agents or stores; :class:`archgym.evaluator.Evaluator` is the one gate to it.

Example:
    >>> from archgym.simulator import Metric, Simulator
    >>> from archgym.space import DesignSpace, Integer
    >>> class Square(Simulator):
    ...     name, version = "square", "1"
    ...     metrics = (Metric("cost_au", "au", "min"),)
    ...     def design_space(self, workload=None):
    ...         return DesignSpace([Integer("x", -3, 3)])
    ...     def evaluate(self, design, workload=None):
    ...         return {"cost_au": float(design["x"] ** 2)}
    >>> Square().evaluate({"x": 2})
    {'cost_au': 4.0}
"""

from __future__ import annotations

import configparser
import hashlib
import json
import math
import os
import re
import shlex
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any, Literal

from archgym._plain import plain
from archgym._procs import run_bounded, scratch_dir, sigterm_interrupts
from archgym.space import Design, DesignSpace

Direction = Literal["min", "max"]


class EvaluationError(RuntimeError):
    """A cost model could not score a design (a crash, a timeout, unparsable output).

    The evaluator records it as a failed, infeasible evaluation; it never ends a run.
    """

    def __init__(self, message: str, stderr_tail: str = "", *, stream: str = "stderr") -> None:
        super().__init__(
            message + (f"\n--- {stream} tail ---\n{stderr_tail}" if stderr_tail else "")
        )
        self.stderr_tail = stderr_tail


class WorkloadError(ValueError):
    """A workload name, file or object that a simulator cannot run."""


@dataclass(frozen=True)
class Metric:
    """A named output of a cost model with its unit and the direction that is better.

    ``scale`` is a typical magnitude, used to squash the metric into an observation.
    """

    name: str
    unit: str
    direction: Direction = "min"
    scale: float = 1.0
    description: str = ""

    def __post_init__(self) -> None:
        if self.direction not in ("min", "max"):
            raise ValueError(
                f"metric {self.name!r}: direction must be 'min' or 'max', got {self.direction!r}"
            )
        if not self.scale > 0:
            raise ValueError(f"metric {self.name!r}: scale must be positive, got {self.scale!r}")


class Simulator(ABC):
    """A pure cost model. Subclasses set ``name``, ``version``, ``metrics`` and implement two methods.

    Workloads: ``load_workload(spec)`` turns a name, path or object into what ``evaluate``
    runs; ``workload_id(workload)`` names it stably for the evaluation cache. The defaults
    pass the spec through and hash its JSON form.
    """

    name: str = "simulator"
    version: str = "0"
    metrics: tuple[Metric, ...] = ()
    default_workload: Any = None

    @abstractmethod
    def design_space(self, workload: Any = None) -> DesignSpace:
        """The legal designs for this workload."""

    @abstractmethod
    def evaluate(self, design: Design, workload: Any = None) -> dict[str, float]:
        """Metrics of one valid design (keys are ``metric.name``). Raise :class:`EvaluationError` on failure."""

    def evaluate_batch(
        self, designs: Sequence[Design], workload: Any = None
    ) -> list[dict[str, float] | EvaluationError]:
        """Metrics of many designs; a failed design yields its :class:`EvaluationError` in place."""
        out: list[dict[str, float] | EvaluationError] = []
        for d in designs:
            try:
                out.append(self.evaluate(d, workload))
            except EvaluationError as err:
                out.append(err)
        return out

    def workloads(self) -> list[str]:
        """Names of built-in workloads."""
        return []

    def load_workload(self, spec: Any = None) -> Any:
        """Resolve a workload name, path or object (``None`` -> the default workload)."""
        return self.default_workload if spec is None else spec

    def workload_id(self, workload: Any) -> str:
        """A stable identifier of a loaded workload, part of the evaluation cache key."""
        if workload is None or isinstance(workload, str | int | float):
            return str(workload)
        for attr in ("workload_id", "name"):
            value = getattr(workload, attr, None)
            if isinstance(value, str):
                return value
        try:
            text = json.dumps(workload, sort_keys=True, default=str)
        except TypeError:
            text = repr(workload)
        return "sha1:" + hashlib.sha1(text.encode()).hexdigest()[:16]

    def metric(self, name: str) -> Metric:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(
            f"simulator {self.name!r} has no metric {name!r}; metrics are {[m.name for m in self.metrics]}"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, version={self.version!r})"


class BatchSimulator(Simulator):
    """A simulator whose natural path is vectorised over designs: implement ``evaluate_batch``;
    ``evaluate`` runs it on one design and raises that design's :class:`EvaluationError`."""

    @abstractmethod
    def evaluate_batch(
        self, designs: Sequence[Design], workload: Any = None
    ) -> list[dict[str, float] | EvaluationError]:
        """Metrics of many designs at once; a failed design yields its :class:`EvaluationError` in place."""

    def evaluate(self, design: Design, workload: Any = None) -> dict[str, float]:
        answer = self.evaluate_batch([design], workload)[0]
        if isinstance(answer, EvaluationError):
            raise answer
        return answer


# -- external binaries ------------------------------------------------------------------------

ConfigFormat = Literal["json", "yaml", "ini", "text"]


def render_config(design: Design, fmt: ConfigFormat, template: str | None = None) -> str:
    """Write a design as a config file body.

    ``text`` substitutes ``$name`` / ``${name}`` placeholders in ``template``; ``json``,
    ``yaml`` and ``ini`` merge the design into the template's content (or an empty one).
    """
    if fmt == "text":
        if template is None:
            raise ValueError("config format 'text' needs a template with $name placeholders")
        try:
            return Template(template).substitute({k: plain(v) for k, v in design.items()})
        except KeyError as missing:
            raise ValueError(
                f"template placeholder {missing} is not a parameter of the design"
            ) from None
    if fmt == "json":
        base = json.loads(template) if template else {}
        base.update({k: plain(v) for k, v in design.items()})
        return json.dumps(base, indent=2)
    if fmt == "yaml":
        import yaml

        from archgym._yaml import load as load_yaml

        base = load_yaml(template) if template else {}
        base = base or {}
        base.update({k: plain(v) for k, v in design.items()})
        return yaml.safe_dump(base, sort_keys=False)
    if fmt == "ini":
        parser = configparser.ConfigParser()
        parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep parameter names' case
        if template:
            parser.read_string(template)
        section = parser.sections()[0] if parser.sections() else "design"
        if not parser.has_section(section):
            parser.add_section(section)
        for k, v in design.items():
            parser.set(section, k, str(plain(v)))
        from io import StringIO

        buf = StringIO()
        parser.write(buf)
        return buf.getvalue()
    raise ValueError(f"unknown config format {fmt!r}; legal formats are json, yaml, ini, text")


def parse_metrics(
    stdout: str, metrics: Sequence[Metric], patterns: Mapping[str, str] | None
) -> dict[str, float]:
    """Metrics from a program's output: a regex per metric (first group), or a JSON object.

    With no patterns, the last line of stdout that parses as a JSON object is used.
    """
    out: dict[str, float] = {}
    if patterns:
        for m in metrics:
            pattern = patterns.get(m.name)
            if pattern is None:
                raise EvaluationError(f"no output pattern for metric {m.name!r}")
            match = re.search(pattern, stdout, re.MULTILINE)
            if not match:
                raise EvaluationError(
                    f"metric {m.name!r}: pattern {pattern!r} not found in output",
                    _tail(stdout),
                    stream="stdout",
                )
            try:
                out[m.name] = float(match.group(1))
            except (IndexError, ValueError):
                raise EvaluationError(
                    f"metric {m.name!r}: pattern {pattern!r} matched {match.group(0)!r}, not a number in group 1",
                    _tail(stdout),
                    stream="stdout",
                ) from None
        return _finite(out, stdout)
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue
            break
    else:
        raise EvaluationError(
            "no JSON object of metrics found in the program's output",
            _tail(stdout),
            stream="stdout",
        )
    for m in metrics:
        if m.name not in data:
            raise EvaluationError(
                f"output JSON lacks metric {m.name!r}; it has {sorted(data)}",
                _tail(stdout),
                stream="stdout",
            )
        try:
            out[m.name] = float(data[m.name])
        except (TypeError, ValueError):
            raise EvaluationError(
                f"metric {m.name!r}: {data[m.name]!r} is not a number",
                _tail(stdout),
                stream="stdout",
            ) from None
    return _finite(out, stdout)


def _finite(metrics: dict[str, float], stdout: str) -> dict[str, float]:
    # float() accepts "nan" and "inf", and json accepts NaN: a binary's garbage must not become a score.
    bad = {k: v for k, v in metrics.items() if not math.isfinite(v)}
    if bad:
        raise EvaluationError(
            f"non-finite metric value(s) {bad} in the program's output",
            _tail(stdout),
            stream="stdout",
        )
    return metrics


class ExternalSimulator(Simulator):
    """Runs a user's binary once per design.

    For each evaluation: a fresh scratch directory, the design written to ``config_name``
    (from ``template`` in ``config_format``), ``command`` run there (``{config}`` and
    ``{workload}`` are substituted), metrics parsed from stdout (``patterns``: a regex per
    metric, or the last JSON line), and the directory removed. A crash, a timeout or
    unparsable output raises :class:`EvaluationError` with the tail of stderr.

    No process outlives its evaluation (see :mod:`archgym._procs`): the program's whole process
    group, and any descendant that left it, is killed when the program exits, at
    ``timeout_s`` (a deadline that a descendant holding stdout open cannot extend), and on
    Ctrl-C or SIGTERM, after which the scratch dir is removed. If the Python process is
    SIGKILLed, the kernel kills the program (``PR_SET_PDEATHSIG``, Linux) and the next archgym
    process to run a binary kills its leftover children and removes its scratch dirs. Only the
    first 64 KiB and the last ``max_output_bytes`` of stdout are kept; put the metrics last.

    Example:
        >>> sim = ExternalSimulator(  # doctest: +SKIP
        ...     name="cache", command=["./cachesim", "{config}"], space=space,
        ...     metrics=[Metric("miss_rate", "ratio")], config_format="json")
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str] | str,
        space: DesignSpace,
        metrics: Sequence[Metric],
        *,
        config_format: ConfigFormat = "json",
        template: str | Path | None = None,
        config_name: str = "config",
        patterns: Mapping[str, str] | None = None,
        timeout_s: float = 60.0,
        version: str = "1",
        env: Mapping[str, str] | None = None,
        workloads: Sequence[str] = (),
        default_workload: str | None = None,
        max_output_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        if not metrics:
            raise ValueError("ExternalSimulator needs at least one Metric")
        if config_format not in ("json", "yaml", "ini", "text"):
            raise ValueError(f"config_format {config_format!r} is not one of json, yaml, ini, text")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        self.name = name
        self.version = version
        self.command = shlex.split(command) if isinstance(command, str) else list(command)
        if not self.command:
            raise ValueError("command must name a program to run, e.g. ['./cachesim', '{config}']")
        if os.sep in self.command[0] and not os.path.isabs(self.command[0]):
            # The binary runs in a fresh temp dir, where "./cachesim" would not be found: anchor it here.
            self.command[0] = os.path.abspath(self.command[0])
        self._space = space
        self.metrics = tuple(metrics)
        self.config_format = config_format
        if isinstance(template, Path) or (
            isinstance(template, str) and "\n" not in template and Path(template).is_file()
        ):
            template = Path(template).read_text()
        self.template = template
        # A template that names no parameter (or a bad JSON/YAML/INI base) would fail every evaluation: refuse it now.
        try:
            render_config(space.decode([0] * len(space)), config_format, template)
        except Exception as err:
            raise ValueError(f"ExternalSimulator {name!r}: bad config template: {err}") from None
        self.config_name = config_name
        self.patterns = dict(patterns) if patterns else None
        self.timeout_s = float(timeout_s)
        if max_output_bytes < 1024:
            raise ValueError(f"max_output_bytes must be at least 1024, got {max_output_bytes}")
        self.max_output_bytes = int(max_output_bytes)
        self.env = dict(env) if env else None
        self._workloads = list(workloads)
        self.default_workload = default_workload

    def design_space(self, workload: Any = None) -> DesignSpace:
        return self._space

    def workloads(self) -> list[str]:
        return list(self._workloads)

    def evaluate(self, design: Design, workload: Any = None) -> dict[str, float]:
        with sigterm_interrupts(), scratch_dir(f"archgym-{self.name}") as tmp:
            config_path = tmp / self.config_name
            config_path.write_text(render_config(design, self.config_format, self.template))
            argv = [
                a.replace("{config}", str(config_path)).replace("{workload}", str(workload or ""))
                for a in self.command
            ]
            env = {**os.environ, **self.env} if self.env else None
            try:
                done = run_bounded(
                    argv,
                    cwd=tmp,
                    timeout_s=self.timeout_s,
                    env=env,
                    max_output_bytes=self.max_output_bytes,
                )
            except OSError as err:
                raise EvaluationError(f"cannot start {argv[0]!r}: {err}") from None
        if done.timed_out:
            raise EvaluationError(
                f"{argv[0]} timed out after {self.timeout_s:g} s", _tail(done.stderr)
            )
        if done.returncode != 0:
            raise EvaluationError(
                f"{argv[0]} exited with status {done.returncode}", _tail(done.stderr)
            )
        return parse_metrics(done.stdout, self.metrics, self.patterns)


def _tail(text: str | None, lines: int = 20) -> str:
    return "\n".join((text or "").strip().splitlines()[-lines:])
