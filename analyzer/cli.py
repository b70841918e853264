"""The ``analyzer`` command line.

Exit codes: 0 all records scored; 1 some records failed (see errors.jsonl);
2 bad usage or configuration, nothing scored.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .errors import AnalyzerError, ConfigError, InputError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Contact-centre conversation quality analysis.")
standards_app = typer.Typer(no_args_is_help=True, help="Work with standards files.")
app.add_typer(standards_app, name="standards")

DEFAULT_DATA = Path("..") / "shared" / "data"


def _fail(message: str, code: int = 2) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _options(columns: Optional[str], agent_address: List[str], agent_name: List[str], channel: Optional[str]):
    from .ingest.options import ReadOptions, parse_columns

    return ReadOptions(columns=parse_columns(columns), agent_addresses=tuple(agent_address),
                       agent_names=tuple(agent_name), channel=channel)


@app.command()
def score(
    paths: List[Path] = typer.Argument(..., help="Files, directories, .zip or .tar.gz archives."),
    out: Path = typer.Option(..., "--out", "-o", help="Conversation rows: .parquet, .jsonl or .csv."),
    turns: bool = typer.Option(False, "--turns", help="Also write one row per turn to <out>.turns.<ext>."),
    format: str = typer.Option("auto", "--format", help="Input format: auto, jsonl, json, csv, parquet, eml, mbox, transcript."),
    columns: Optional[str] = typer.Option(None, "--columns", help="Column mapping, e.g. conversation_id=ticket_id,role=author_type."),
    agent_address: List[str] = typer.Option([], "--agent-address", help="Agent e-mail address or @domain (repeatable)."),
    agent_name: List[str] = typer.Option([], "--agent-name", help="Agent speaker name (repeatable)."),
    channel: Optional[str] = typer.Option(None, "--channel", help="Channel for sources that do not say."),
    standards: Optional[Path] = typer.Option(None, "--standards", help="Standards YAML (default: the shipped one)."),
    no_standards: bool = typer.Option(False, "--no-standards", help="Score only; check no standards."),
    dimension: List[str] = typer.Option([], "--dimension", "-d", help="Score only these dimensions (repeatable)."),
    tier: str = typer.Option("fast", "--tier", help="Model tier: fast or accurate."),
    multilingual: bool = typer.Option(True, "--multilingual/--no-multilingual",
                                      help="Fast tier: score turns in languages a fast model was not trained on with the "
                                           "multilingual encoder model (default), or with the fast models, marked "
                                           "zero_shot (faster). No effect with --tier accurate."),
    errors: Optional[Path] = typer.Option(None, "--errors", help="Errors file (default: errors.jsonl beside --out)."),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first bad record."),
    workers: int = typer.Option(os.cpu_count() or 1, "--workers", "-w", min=1, help="Scoring processes (default: cores)."),
    chunk_size: int = typer.Option(500, "--chunk-size", min=1, help="Conversations per unit of work."),
    resume: bool = typer.Option(False, "--resume", help="Finish a killed run: finished chunks are kept."),
    partitioned: bool = typer.Option(False, "--partitioned", help="Write OUT as a folder of Parquet parts."),
    engine: str = typer.Option("local", "--engine", help="local (processes here) or dask (a Dask cluster)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address, tcp://HOST:PORT."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress and no summary line."),
) -> None:
    """Score conversations and check them against the standards."""
    from .batch.progress import Progress
    from .batch.runner import StrictStop, run
    from .pipeline import load

    try:
        options = _options(columns, agent_address, agent_name, channel)
        qa = load(standards=False if no_standards else standards, tier=tier, dimensions=dimension or None,
                  agent_names=agent_name, agent_addresses=agent_address, multilingual=multilingual)
        qa.options = options
        progress = Progress(enabled=False if quiet else None)
        stats = run(paths, out, qa, format=format, options=options, turns=turns, strict=strict, errors_path=errors,
                    chunk_size=chunk_size, workers=workers, resume=resume, partitioned=partitioned,
                    engine=engine, scheduler=scheduler, on_progress=progress)
        progress.close()
    except StrictStop as stop:
        _fail(f"stopped (--strict): {stop.error}", 1)
    except (ConfigError, InputError, AnalyzerError, ValueError) as exc:
        _fail(str(exc))
    if not quiet:
        typer.echo(stats.line() + f" -> {out}", err=True)
        if stats.errors:
            typer.echo(f"{stats.errors} records failed: see {stats.outputs['errors']}", err=True)
    raise typer.Exit(1 if stats.errors else 0)


@app.command()
def explain(
    path: Path = typer.Argument(..., help="File or archive holding the conversation."),
    conversation_id: Optional[str] = typer.Option(None, "--id", help="Conversation id (default: the first)."),
    standards: Optional[Path] = typer.Option(None, "--standards"),
    format: str = typer.Option("auto", "--format"),
    html: Optional[Path] = typer.Option(None, "--html", help="Also write the conversation as a standalone HTML page."),
) -> None:
    """Print one conversation turn by turn with its scores and flags."""
    from . import read
    from .pipeline import load

    conversation = next((c for c in read(path, format=format, on_error=lambda e: None)
                         if conversation_id is None or c.id == conversation_id), None)
    if conversation is None:
        _fail(f"no conversation {conversation_id!r} in {path}")
    try:
        analysis = load(standards=standards).analyze(conversation)
    except AnalyzerError as exc:
        _fail(str(exc))
    conv = analysis.conversation
    typer.echo(f"{conv.id}  channel={conv.channel} language={conv.language} "
               f"qa_score={analysis.qa_score} passed={analysis.passed}")
    for turn in conv.turns:
        stamp = turn.timestamp.isoformat() if turn.timestamp else "-"
        typer.echo(f"\n[{turn.index}] {turn.role} ({turn.speaker or '-'}, {turn.language or '?'}, {stamp})")
        typer.echo(f"    {turn.text}")
        for s in (s for s in analysis.scores if s.turn == turn.index):
            evidence = ", ".join(f"{e.label}:'{e.text(conv)}'" for e in s.evidence[:4])
            typer.echo(f"    {s.dimension:<11} {s.value:.2f} {s.label:<10} {evidence}")
    if analysis.flags:
        typer.echo("\nFlags:")
    for flag in analysis.flags:
        typer.echo(f"  {flag.severity:<8} {flag.standard:<16} turns {list(flag.turns)}: {flag.message}")
    if html is not None:
        from .display import render_html

        html.write_text(render_html(analysis, standalone=True), encoding="utf-8")
        typer.echo(f"\nHTML -> {html}")


@standards_app.command("check")
def standards_check(file: Path = typer.Argument(..., help="Standards YAML to validate.")) -> None:
    """Validate a standards file and print every problem at once."""
    from .standards import validate

    problems = validate(file)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(2)
    typer.echo(f"{file}: OK")


@app.command()
def train(
    dimension: str = typer.Argument(..., help="politeness, empathy, sentiment, complaint or ownership."),
    data: Path = typer.Option(DEFAULT_DATA, "--data", help="The shared data folder."),
    out: Optional[Path] = typer.Option(None, "--out", help="Model folder (default: models/<dimension>)."),
    seed: int = typer.Option(0, "--seed"),
    quick: bool = typer.Option(False, "--quick", help="A small real run on a subset."),
    tier: str = typer.Option("fast", "--tier", help="fast (hashed n-grams) or accurate (+ multilingual encoder)."),
) -> None:
    """Train a model from the labelled data, evaluate it on its held-out split and write its card."""
    from .scorers.base import model_path
    from .train import train as train_model

    metrics = train_model(dimension, data, out or model_path(dimension, tier=tier), seed=seed, quick=quick, tier=tier)
    typer.echo(json.dumps(metrics, indent=2, default=str))


@app.command()
def evaluate(
    dimension: str = typer.Argument(...),
    data: Path = typer.Option(DEFAULT_DATA, "--data"),
    model: Optional[Path] = typer.Option(None, "--model", help="Model folder (default: models/<dimension>)."),
    tier: str = typer.Option("fast", "--tier", help="Which shipped tier to evaluate when --model is not given."),
) -> None:
    """Evaluate a shipped model on its held-out split."""
    from .scorers.base import model_path
    from .train import evaluate as evaluate_model

    metrics = evaluate_model(dimension, data, model or model_path(dimension, tier=tier))
    typer.echo(json.dumps(metrics, indent=2, default=str))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; anything but loopback needs tokens."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    tokens_file: Optional[Path] = typer.Option(None, "--tokens-file", help="Bearer tokens, one a line (or ANALYZER_TOKENS=a,b)."),
    insecure_no_auth: bool = typer.Option(False, "--insecure-no-auth", help="Serve without auth (loopback hosts only)."),
    workers: int = typer.Option(1, "--workers", min=1, help="uvicorn worker processes."),
    max_batch: int = typer.Option(64, "--max-batch", min=1, help="Conversations per /v1/score request."),
    max_body_bytes: int = typer.Option(2_000_000, "--max-body-bytes", min=1, help="Request body limit (413 above it)."),
    max_upload_bytes: int = typer.Option(256 * 2**20, "--max-upload-bytes", min=1, help="Upload limit for /v1/jobs."),
    max_turns: int = typer.Option(500, "--max-turns", min=1, help="Turns per conversation (413 above it)."),
    rate_limit: float = typer.Option(20.0, "--rate-limit", min=0, help="Requests/s per token; 0 turns it off."),
    rate_burst: Optional[int] = typer.Option(None, "--rate-burst", min=1, help="Burst size (default 2 x rate)."),
    standards: Optional[Path] = typer.Option(None, "--standards", help="Standards YAML (default: the shipped one)."),
    no_standards: bool = typer.Option(False, "--no-standards", help="Score only; check no standards."),
    dimension: List[str] = typer.Option([], "--dimension", "-d", help="Score only these dimensions (repeatable)."),
    tier: str = typer.Option("fast", "--tier", help="Model tier: fast or accurate."),
    jobs_dir: Optional[Path] = typer.Option(None, "--jobs-dir", help="Where job outputs go (default: a temp folder)."),
    job_root: List[Path] = typer.Option([], "--job-root", help="Folder /v1/jobs may read server-side paths from (repeatable)."),
    shutdown_timeout: float = typer.Option(30.0, "--shutdown-timeout", help="Seconds in-flight requests get on shutdown."),
) -> None:
    """Run the HTTP service: /v1/score, /v1/jobs, /v1/standards, /healthz, /readyz, /metrics."""
    from .service import serve as run_service

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        run_service(host, port, tokens_file, insecure_no_auth, workers, max_batch, max_body_bytes, max_turns,
                    rate_limit, False if no_standards else standards, tier, dimensions=dimension or None,
                    jobs_dir=jobs_dir, job_roots=job_root, rate_burst=rate_burst,
                    max_upload_bytes=max_upload_bytes, shutdown_timeout=shutdown_timeout)
    except AnalyzerError as exc:
        _fail(str(exc))


@app.command()
def calibrate(
    reviews: Path = typer.Option(..., "--reviews", help="Review results, CSV or JSONL: conversation_id, score (0-100) and/or <standard>_pass columns."),
    conversations: List[Path] = typer.Option(..., "--conversations", help="The reviewed conversations: files, folders or archives (repeatable)."),
    standards: Optional[Path] = typer.Option(None, "--standards", help="Standards YAML to tune (default: the shipped one)."),
    out: Path = typer.Option(Path("standards.calibrated.yaml"), "--out", "-o", help="Where the tuned standards YAML goes."),
    report: Optional[Path] = typer.Option(None, "--report", help="Report JSON, with a .md summary beside it (default: <out>.report.json)."),
    folds: int = typer.Option(5, "--folds", min=2, help="Cross-validation folds for the held-out agreement."),
    seed: int = typer.Option(0, "--seed"),
    min_reviews: int = typer.Option(50, "--min-reviews", min=1, help="Refuse with fewer matched reviews than this."),
    format: str = typer.Option("auto", "--format", help="Input format of --conversations."),
    columns: Optional[str] = typer.Option(None, "--columns", help="Column mapping, e.g. conversation_id=ticket_id,role=author_type."),
    dimension: List[str] = typer.Option([], "--dimension", "-d", help="Score only these dimensions (repeatable)."),
    tier: str = typer.Option("fast", "--tier", help="Model tier: fast or accurate."),
) -> None:
    """Fit the standards' thresholds and weights to your QA team's own reviews (cross-validated)."""
    from . import read
    from .calibrate import calibrate as fit_standards
    from .pipeline import load

    skipped: list = []
    try:
        options = _options(columns, [], [], None)
        qa = load(standards=False, tier=tier, dimensions=dimension or None)
        qa.options = options
        found = read(conversations, format=format, options=options, on_error=skipped.append)
        result = fit_standards(found, reviews, standards=standards, folds=folds, seed=seed, qa=qa, min_reviews=min_reviews)
        written = result.write(out, report or out.with_name(out.stem + ".report.json"))
    except (ConfigError, InputError, AnalyzerError, ValueError, OSError) as exc:
        _fail(str(exc))
    if skipped:
        typer.echo(f"{len(skipped)} unreadable records skipped (first: {skipped[0]})", err=True)
    held = result.report["agreement"]["held_out"]
    if "spearman" in held:
        rho = held["spearman"]
        typer.echo(f"held-out Spearman {rho['before']} -> {rho['after']} on {result.report['reviews']['used']} reviews", err=True)
    for standard, kappa in held.get("kappa", {}).items():
        if kappa["before"] is not None:
            typer.echo(f"held-out kappa {standard}: {kappa['before']} -> {kappa['after']}", err=True)
    typer.echo(f"{len(result.report['changes'])} changes; wrote {', '.join(map(str, written))}", err=True)


@app.command()
def report(
    results: Path = typer.Argument(..., help="The --out of `analyzer score` (.parquet, .jsonl, .csv or a --partitioned folder)."),
    out: Path = typer.Option(Path("report.html"), "--out", "-o", help="The HTML file to write."),
    title: Optional[str] = typer.Option(None, "--title", help="Page title."),
    worst: int = typer.Option(10, "--worst", min=0, help="Lowest-scoring conversations shown turn by turn (needs --turns)."),
) -> None:
    """Write one self-contained HTML report over a scoring run."""
    from .report import build_report

    try:
        path = build_report(results, out, title=title, worst=worst)
    except (AnalyzerError, ValueError, OSError) as exc:
        _fail(str(exc))
    typer.echo(f"report -> {path}", err=True)


def main() -> None:  # pragma: no cover
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app()
