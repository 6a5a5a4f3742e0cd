"""`make mutate`: mutation testing (mutmut 3) of the modules whose bugs cost most.

Why it is shaped this way:
- One module at a time, each in its own snapshot of a commit (`git archive`, HEAD by
  default), so the scores belong to a commit and not to whatever the shared tree holds.
- Each module names the test files that matter for it (TARGETS); mutmut then narrows each
  mutant to the tests of that list that actually call the mutated function (its stats run).
  The whole suite takes ~9 minutes; running it for every mutant would take days.
- One throwaway PostgreSQL (the embedded one) for the whole run, given to the suite as
  ROBOCO_TEST_DATABASE_URL, so a mutant's test run does not initdb a server of its own.
  One mutmut child per module (--max-children 1 by default): the test databases of one
  pytest session are named per session, two at once on one server would collide.
- Mutants listed in mutation/equivalent.md (by name, with a reason) are left out of the
  adjusted score; "no tests" mutants count as survivors.

    python mutation/run.py [MODULE ...] [--commit REV] [--max-children N] [--minutes M]
                           [--only MUTANT ...] [--as NAME]

Writes mutation/results/MODULE.json (counts, scores, commit, run time, survivors) and
MODULE-survivors.txt (each survivor's diff); exits 1 when a module's adjusted score is under
the goal (90%).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "mutation"
RESULTS = HERE / "results"
EQUIVALENT = HERE / "equivalent.md"
GOAL = 90.0
KILLED = ("killed", "timeout", "caught by type check")


@dataclass(frozen=True)
class Target:
    """What to mutate (files under roboco_sql/) and the test files that exercise it."""

    files: tuple[str, ...]
    tests: tuple[str, ...]
    deselect: tuple[str, ...] = ()  # tests that cannot run in a snapshot (git history)


# reads earlier commits with `git show`; a snapshot has no history
_GIT_HISTORY = (
    "tests/test_chain.py::test_shipped_checksums_are_those_recorded_before_down_sections",
)

# the only tests that move a database of roboco_sql 0.1.0's layout over (bookkeeping.relayout)
_RELAYOUT = "tests/test_schema.py::test_a_database_of_the_old_layout_moves_over_with_its_rows"

# the runner's kill files, one per slice below (test_runner_kills.py until its split)
_RUNNER_KILLS = tuple(f"tests/test_{part}_kills.py" for part in ("apply", "plan", "extras"))

# tests whose runner works in child processes (several at once, killed, or another server's
# PostgreSQL): minutes of stats for nothing, since mutmut sees only in-process calls
_CHILD_RUNNERS = tuple(
    f"tests/test_runner.py::{name}"
    for name in (
        "test_eight_processes_migrate_an_empty_database_at_once",
        "test_killed_migrations_leave_a_clean_revision_and_finish",
        "test_concurrent_downs_take_turns_under_the_lock",
        "test_server_without_pgvector_migrates_with_rag_disabled",
    )
)

# what the runner does on a hot standby: the test module makes one (pg_basebackup of the server)
_STANDBY = tuple(
    f"tests/test_replicas.py::{name}"
    for name in (
        "test_the_runner_and_every_writing_command_refuse_the_standby",
        "test_a_database_without_bookkeeping_on_the_standby_is_refused_at_once",
    )
)

# the task-state tests of the shared kill file (the rest is crypto, keys and the runner, whose
# migrations would lengthen the stats pass for nothing), and the task state machine's own
_TASK_KILLS = (
    *(
        f"tests/test_mutation_kills.py::{name}"
        for name in (
            "test_a_qa_review_claim_records_the_developer",
            "test_admin_set_status_names_the_writer_that_moved_first",
            "test_admin_set_status_on_a_task_deleted_meanwhile",
            "test_admin_set_status_refusals_are_worded_exactly",
            "test_claim_review_refusals_are_worded_exactly",
            "test_heartbeat_on_a_missing_task_names_it",
            "test_reaping_takes_zero_but_refuses_negative_ages",
            "test_release_refusals_are_worded_exactly",
            "test_release_refuses_what_another_writer_took_meanwhile",
            "test_the_claim_rules_agree_with_the_lifecycle",
            "test_the_effects_table_covers_every_edge_as_built",
        )
    ),
    "tests/test_task_kills.py",
)

TARGETS: dict[str, Target] = {
    "crypto": Target(
        ("roboco_sql/crypto.py",), ("tests/test_crypto.py", "tests/test_mutation_kills.py")
    ),
    "keys": Target(
        ("roboco_sql/keys.py",),
        (
            "tests/test_mutation_kills.py",
            "tests/test_ops.py::test_keys_check_counts",
            "tests/test_ops.py::test_an_interrupted_rotation_resumes",
            "tests/test_repo_credentials.py::test_keys_check_and_rotate_cover_every_credential_column",
        ),
    ),
    # the task state machine, one run per module: a mutant runs the tests of its run's list
    # that call the mutated function, and every transition test calls the lifecycle, so one
    # shared list gave each lifecycle mutant dozens of database tests; the lifecycle is pure
    # and its own tests (no database) reach all of it
    "lifecycle": Target(
        ("roboco_sql/lifecycle/*",),
        (
            "tests/test_lifecycle.py",
            "tests/test_task_kills.py",
            "tests/test_mutation_kills.py::test_the_edge_table_is_built_from_the_spec_and_refuses_duplicates",
        ),
    ),
    "claims": Target(
        ("roboco_sql/repos/claims.py",),
        (
            "tests/test_lifecycle_guards.py",
            "tests/test_task_flow.py",
            "tests/test_feature_guards.py::test_a_claim_passes_over_a_row_another_transaction_holds",
            *_TASK_KILLS,
        ),
    ),
    "transitions": Target(
        ("roboco_sql/repos/transitions.py", "roboco_sql/repos/transition_effects.py"),
        (
            "tests/test_lifecycle_guards.py",
            "tests/test_task_flow.py",
            "tests/test_repo_refusals.py::test_transition_names_the_unknown_status_before_any_sql",
            *_TASK_KILLS,
        ),
    ),
    # the runner's core (bookkeeping statements, fingerprints, the chain's rules), the part
    # the linear-chain guarantees rest on; "migrate" is the whole runner
    "migrate-core": Target(
        (
            "roboco_sql/migrate/bookkeeping.py",
            "roboco_sql/migrate/fingerprint.py",
            # the chain reader, split along its seams (chain.py loads, the others read)
            "roboco_sql/migrate/chain.py",
            "roboco_sql/migrate/fileformat.py",
            "roboco_sql/migrate/migration.py",
            "roboco_sql/migrate/linear.py",
            "roboco_sql/migrate/soundness.py",
        ),
        (
            "tests/test_chain.py",
            "tests/test_check_edges.py",
            "tests/test_chain_kills.py",
            "tests/test_feature_guards.py",
            "tests/test_mutation_kills.py",
            "tests/test_runner.py",
            "tests/test_plan_lint.py",
            # the core's statement check going back, and its history row's timing
            "tests/test_plan_kills.py::test_going_back_checks_the_down_sections_it_will_run",
            "tests/test_apply_kills.py::test_a_non_transactional_files_time_is_recorded_in_milliseconds",
            _RELAYOUT,
        ),
        _GIT_HISTORY,
    ),
    # the linter: rules as data over lexed statements, no database (the CLI case aside)
    "migrate-lint": Target(
        (
            "roboco_sql/migrate/lint.py",
            "roboco_sql/migrate/lint_rules.py",
            "roboco_sql/migrate/lint_sql.py",
            "roboco_sql/migrate/lint_optouts.py",
        ),
        ("tests/test_plan_lint.py", "tests/test_lint_rules.py", "tests/test_lint_kills.py"),
    ),
    # the runner's other parts, in three slices so that each mutant runs a short list; tests
    # whose runner works in child processes (the CLI, concurrent migrates) are left out: mutmut
    # maps a mutant to the tests that call it in-process, and those only add to the stats pass.
    # Each slice also runs the other slices' kill files: a test is filed by the module it was
    # written for, yet reaches others (a plan test migrates first), and mutmut keeps only the
    # tests that call the mutant
    "migrate-apply": Target(
        (
            "roboco_sql/migrate/runner.py",
            "roboco_sql/migrate/steps.py",
            "roboco_sql/migrate/state.py",
            "roboco_sql/migrate/lock.py",
            "roboco_sql/migrate/start.py",
            "roboco_sql/migrate/atomic.py",
            "roboco_sql/migrate/autocommit.py",
        ),
        (
            "tests/test_runner.py",
            *_RUNNER_KILLS,
            "tests/test_feature_guards.py::test_the_runner_refuses_a_version_that_moved_under_it",
            "tests/test_feature_guards.py::test_a_versionless_database_is_stamped_at_the_earliest_tie_and_the_rest_rerun",
            "tests/test_mutation_kills.py::test_an_addition_records_the_revision_it_was_applied_at",
            "tests/test_mutation_kills.py::test_going_back_logs_the_runners_own_timing",
            "tests/test_check_edges.py::test_the_runner_refuses_a_meta_command_in_a_step_it_would_run",
            "tests/test_cli_edges.py::test_stamp_back_needs_force",
            "tests/test_chain_kills.py::test_each_way_checks_only_the_sections_it_runs",
            *_STANDBY,
            _RELAYOUT,
        ),
        _CHILD_RUNNERS,
    ),
    "migrate-plan": Target(
        (
            "roboco_sql/migrate/plan.py",
            "roboco_sql/migrate/plan_decide.py",
            "roboco_sql/migrate/plan_script.py",
            "roboco_sql/migrate/standing.py",
            "roboco_sql/migrate/report.py",
            "roboco_sql/migrate/down.py",
            "roboco_sql/migrate/dataloss.py",
        ),
        (
            "tests/test_plan_lint.py",
            *_RUNNER_KILLS,
            *(
                f"tests/test_runner.py::{name}"
                for name in (
                    "test_fresh_build_records_every_revision",
                    "test_to_stops_at_a_revision_and_refuses_to_go_back",
                    "test_init_db_reports_what_it_did",
                    "test_edited_applied_file_stops_migrate_and_status",
                    "test_going_back_runs_downs_newest_first_with_their_bookkeeping",
                    "test_a_failing_down_section_is_named_and_changes_nothing",
                    "test_a_blocked_down_section_waits_its_lock_timeout_and_names_the_blocker",
                    "test_a_file_without_down_section_stops_going_back_before_anything_runs",
                    "test_a_pinned_target_never_goes_back_only_an_explicit_to",
                    "test_additions_leave_before_the_chain_goes_below_them_and_come_back",
                    "test_stamp_older_than_recorded_is_refused_unless_forced",
                )
            ),
            "tests/test_feature_guards.py::test_history_refuses_two_children_of_one_parent",
            "tests/test_mutation_kills.py::test_going_back_logs_the_runners_own_timing",
            "tests/test_schema.py::test_060_refuses_to_drop_messaging_with_rows_unless_told",
            "tests/test_schema.py::test_going_back_past_016_keeps_the_tasks_and_drops_the_products",
        ),
    ),
    "migrate-extras": Target(
        (
            "roboco_sql/migrate/additions.py",
            "roboco_sql/migrate/verify.py",
            "roboco_sql/migrate/extensions.py",
            "roboco_sql/migrate/scaffold.py",
            "roboco_sql/migrate/scratch.py",
        ),
        (
            *_RUNNER_KILLS,
            "tests/test_chain_kills.py::test_additions_come_from_the_directory_given",
            "tests/test_mutation_kills.py::test_an_addition_records_the_revision_it_was_applied_at",
            "tests/test_runner.py::test_additions_leave_before_the_chain_goes_below_them_and_come_back",
            "tests/test_plan_lint.py::test_new_writes_the_next_file_and_refuses_long_or_odd_names",
            "tests/test_plan_lint.py::test_hand_made_changes_are_drift_for_verify_and_status",
            "tests/test_plan_lint.py::test_verify_needs_a_recorded_revision",
        ),
    ),
    "migrate": Target(
        ("roboco_sql/migrate/*",),
        (
            "tests/test_runner.py",
            "tests/test_chain.py",
            "tests/test_plan_lint.py",
            "tests/test_feature_guards.py",
            "tests/test_mutation_kills.py",
            "tests/test_lint_kills.py",
            "tests/test_chain_kills.py",
            *_RUNNER_KILLS,
            _RELAYOUT,
        ),
        _GIT_HISTORY,
    ),
}


def module_of(mutant: str) -> str:
    """roboco_sql.repos.claims.x_claim__mutmut_3 -> roboco_sql.repos.claims"""
    match = re.match(r"^(.*?)\.x[_\u01c1]", mutant)
    return match.group(1) if match else mutant


def equivalents() -> dict[str, str]:
    """Mutant name -> reason, from the lines "- `NAME`: reason" of equivalent.md."""
    if not EQUIVALENT.exists():
        return {}
    found = re.findall(r"^- `([^`]+)`: (.+)$", EQUIVALENT.read_text(encoding="utf-8"), re.M)
    return dict(found)


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def snapshot(commit: str, into: Path) -> None:
    """The committed tree at commit (sources, queries, tests), without the shared work tree."""
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "roboco_sql", "sql", "tests", "pyproject.toml"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def setup_cfg(target: Target, tests: list[str]) -> str:
    # roboco_sql/sql is a symlink to ../sql, which mutmut's copy of the package skips
    lines = ["[mutmut]", "source_paths = roboco_sql"]
    lines += ["also_copy =", "    sql", "    roboco_sql/sql"]
    lines += ["only_mutate ="] + [f"    {f}" for f in target.files]
    lines += ["pytest_add_cli_args_test_selection ="] + [f"    {t}" for t in tests]
    # -p no:randomly is moot (not installed); -x stops a mutant's run at its first failure
    lines += ["pytest_add_cli_args =", "    -x", "    -q", "    -p", "    no:cacheprovider"]
    lines += [f"    --deselect={t}" for t in target.deselect]
    lines += ["use_git_change_detection = false", "mutate_only_covered_lines = false"]
    return "\n".join(lines) + "\n"


def start_server(workdir: Path) -> tuple[object, str]:
    """One embedded PostgreSQL 16 for the whole run."""
    sys.path.insert(0, str(ROOT))
    from roboco_sql import embedded

    pgserver = embedded._pgserver()
    server = pgserver.get_server(
        workdir / "pg", cleanup_mode="delete", postgres_version=embedded.MAJOR
    )
    return server, str(server.get_uri())


def parse_results(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name:
            out[name] = status
    return out


def run_module(
    *,
    name: str,
    target: Target,
    commit: str,
    url: str,
    workdir: Path,
    children: int,
    deadline: float | None,
    only: list[str],
    out_name: str,
) -> dict[str, object]:
    tree = workdir / name
    snapshot(commit, tree)
    tests = [t for t in target.tests if (tree / t.split("::")[0]).exists()]
    (tree / "setup.cfg").write_text(setup_cfg(target, tests), encoding="utf-8")
    env = {
        **os.environ,
        "ROBOCO_TEST_DATABASE_URL": url,
        # the suite names its template databases by this, so modules never share one
        "PYTEST_XDIST_WORKER": f"_mut_{name}",
    }
    mutmut = [str(Path(sys.executable).parent / "mutmut")]
    started = time.monotonic()
    log = RESULTS / f"{out_name}.log"
    partial = False
    with log.open("w", encoding="utf-8") as out:
        run = subprocess.Popen(
            [*mutmut, "run", "--max-children", str(children), *only],
            cwd=tree,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its forked workers share its group, ended with it
        )
        try:
            run.wait(timeout=None if deadline is None else max(1.0, deadline - time.time()))
        except subprocess.TimeoutExpired:
            partial = True  # out of time: score the mutants checked so far
            os.killpg(run.pid, signal.SIGTERM)
            run.wait()
        except BaseException:  # interrupted: take mutmut's workers down with us
            os.killpg(run.pid, signal.SIGTERM)
            raise
    took = time.monotonic() - started
    listing = subprocess.run(
        [*mutmut, "results", "--all", "true"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    statuses = parse_results(listing)
    if not statuses or all(v == "not checked" for v in statuses.values()):
        raise SystemExit(f"{name}: mutmut checked no mutant; see {log}")
    equivalent = equivalents()
    modules = []
    for module in sorted({module_of(m) for m in statuses}):
        mine = {m: v for m, v in statuses.items() if module_of(m) == module}
        modules.append(_score(module, mine, equivalent))
    diffs = []
    for m in sorted(m for m, v in statuses.items() if v not in (*KILLED, "not checked")):
        shown = subprocess.run(
            [*mutmut, "show", m], cwd=tree, env=env, capture_output=True, text=True, check=False
        ).stdout
        note = f"  (equivalent: {equivalent[m]})" if m in equivalent else ""
        diffs.append(f"## {m}: {statuses[m]}{note}\n{shown}\n")
    (RESULTS / f"{out_name}-survivors.txt").write_text("".join(diffs), encoding="utf-8")
    result: dict[str, object] = {
        "run": name,
        "files": list(target.files),
        "tests": tests,
        "commit": commit,
        "seconds": round(took),
        "partial": partial,
        "only": only,
        "modules": modules,
    }
    (RESULTS / f"{out_name}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _score(module: str, statuses: dict[str, str], equivalent: dict[str, str]) -> dict[str, Any]:
    """Killed / tested, and the same without the mutants listed as equivalent."""
    counts = Counter(statuses.values())
    survivors = sorted(m for m, s in statuses.items() if s not in KILLED and s != "not checked")
    killed = sum(counts[k] for k in KILLED)
    total = len(statuses) - counts["skipped"] - counts["not checked"]
    listed = [m for m in survivors if m in equivalent]
    raw = 100.0 * killed / total if total else 0.0
    adjusted = 100.0 * killed / (total - len(listed)) if total - len(listed) else 100.0
    return {
        "module": module,
        "mutants": len(statuses),
        "checked": len(statuses) - counts["not checked"],
        "counts": dict(sorted(counts.items())),
        "killed": killed,
        "equivalent": len(listed),
        "score": round(raw, 1),
        "adjusted_score": round(adjusted, 1),
        "survivors": [m for m in survivors if m not in equivalent],
        # what a cut run did not reach, for a later `--only` run to finish
        "not_checked": sorted(m for m, s in statuses.items() if s == "not checked"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "modules",
        nargs="*",
        help=f"some of {', '.join(TARGETS)} (default: all but migrate's slices, migrate-*)",
    )
    parser.add_argument("--commit", default="HEAD")
    parser.add_argument("--max-children", type=int, default=1)
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="MUTANT",
        help="check only these mutants (names or globs), e.g. a run's survivors again",
    )
    parser.add_argument(
        "--as",
        dest="out_name",
        metavar="NAME",
        help="write mutation/results/NAME.json (default: the run's name, RUN-recheck with "
        "--only, so a recheck keeps the full run's files); one run only",
    )
    parser.add_argument(
        "--minutes",
        type=float,
        help="stop each run after this long and score the mutants checked by then",
    )
    args = parser.parse_args(argv)
    if args.max_children < 1:
        parser.error("--max-children must be at least 1")
    names = args.modules or [n for n in TARGETS if n == "migrate" or not n.startswith("migrate")]
    if args.out_name and len(names) != 1:
        parser.error("--as names the results of one run")
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    commit = git("rev-parse", args.commit)
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="roboco-mutate-"))
    server, url = start_server(workdir)
    failed = False
    try:
        print(f"mutation testing at {commit[:12]}: {', '.join(names)}", flush=True)
        for name in names:
            r = run_module(
                name=name,
                target=TARGETS[name],
                commit=commit,
                url=url,
                workdir=workdir,
                children=args.max_children,
                deadline=None if args.minutes is None else time.time() + 60 * args.minutes,
                only=args.only,
                out_name=args.out_name or (f"{name}-recheck" if args.only else name),
            )
            for m in r["modules"]:  # type: ignore[attr-defined]
                print(
                    f"{m['module']:32} {m['checked']:5}/{m['mutants']} mutants checked  "
                    f"killed {m['killed']:5}  "
                    f"equivalent {m['equivalent']:3}  score {m['score']:5}%  "
                    f"adjusted {m['adjusted_score']:5}%",
                    flush=True,
                )
                failed |= float(m["adjusted_score"]) < GOAL
            cut = " (stopped at --minutes: partial)" if r["partial"] else ""
            print(f"{name}: {r['seconds']} s{cut}", flush=True)
    finally:
        server.cleanup()  # type: ignore[attr-defined]
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
