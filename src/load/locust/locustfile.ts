/**
 * The Locust file `loadtest --export locust` writes (Python, for Locust ≥ 2.12 as Debian ships it).
 *
 * Locust itself runs a closed model (users loop task → wait), and its workers report response
 * times rounded to 1 ms under 100 ms and 10 ms under 1 s. This file does neither: each runner
 * (one user per worker) walks its share of the open-model schedule (arrival i at the moment the
 * load shape's integral reaches i; runner k of N takes i ≡ k mod N), spawns a greenlet per arrival
 * that is not held back by slow responses, measures latency from the intended time, records it
 * in HdrHistogram's buckets (bucket-merge.ts), and writes one result file per runner
 * (runner-results.ts's format) that `authz-perf report --import-locust` merges exactly.
 */
import { BUCKET_LOW_PY, BUCKET_SCHEME } from '../bucket-merge.js';
import { RUNNER_RESULT_FORMAT } from '../runner-results.js';

/** File names inside an exported Locust folder. */
export const LOCUSTFILE = 'locustfile.py';
export const LOCUST_PLAN_FILE = 'authz-perf-plan.json';
export const LOCUST_REQUIREMENTS = 'requirements.txt';
/** A worker's result file: worker-<index>.json in the --authz-results folder. */
export const LOCUST_RESULT_PATTERN = /^worker-\d+\.json$/;

export function locustfileSource(header: string): string {
  return String.raw`# ${header}
#
# Open (arrival-rate) model on Locust. Run it (master + N workers; rates in the plan are totals):
#   locust -f locustfile.py --headless --master --expect-workers N -u N -r N --run-time 40s \
#          --host http://TARGET:PORT --authz-results results
#   locust -f locustfile.py --worker --master-host MASTER        (N times, one user per worker)
# then:  authz-perf report --import-locust results/     (every worker's worker-K.json in one folder)
#
# Each worker takes every N-th arrival of the seeded schedule in ${LOCUST_PLAN_FILE}, sends it at its
# intended time from its own greenlet (never held back by slow responses), measures latency from the
# intended time, and records it in HdrHistogram buckets (1 us, 3 significant digits) instead of
# Locust's rounded response times. Locust's own statistics are reported as usual but are not used.
import json
import math
import os
import sys
import time
from urllib.parse import urlsplit

import gevent
from gevent.lock import BoundedSemaphore
from gevent.pool import Group
from locust import FastHttpUser, constant, events, task
import locust.runners
from locust.runners import WorkerRunner

if not locust.runners.__version__:
    # Debian's python3-locust 2.12 reports an empty version, which its master takes for a pre-2.0
    # worker and refuses; any non-empty version lets master and workers of one install connect
    locust.runners.__version__ = "2.12"

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "${LOCUST_PLAN_FILE}"), encoding="utf-8") as _f:
    PLAN = json.load(_f)
CONFIG = PLAN["plan"]["config"]
BODIES = [b.encode("utf-8") for b in PLAN["requests"]]
RESOURCE_COUNTS = [len(json.loads(b)["resources"]) for b in PLAN["requests"]]
EXPECTED = PLAN.get("expected")
TIMEOUT_S = CONFIG["timeoutMs"] / 1000.0
LATE_S = CONFIG["lateThresholdMs"] / 1000.0
HEADERS = {"Content-Type": "application/json"}
MAX_ERROR_SAMPLES = 5


@events.init_command_line_parser.add_listener
def _add_arguments(parser):
    parser.add_argument("--authz-results", type=str, default="authz-perf-results", help="folder each worker writes worker-K.json into")
    parser.add_argument("--authz-runners", type=int, default=0, help="runners sharing the schedule (default: --expect-workers)")


def _die_with_parent():
    """A run started by authz-perf stops when authz-perf dies, and after a hard deadline."""
    parent = os.environ.get("AUTHZ_PERF_PARENT_PID")
    if parent:
        try:
            import ctypes
            import signal

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
        except Exception:
            pass

        def watch():
            while True:
                if os.getppid() != int(parent):
                    os._exit(3)
                gevent.sleep(0.5)

        gevent.spawn(watch)
    deadline = os.environ.get("AUTHZ_PERF_DEADLINE_S")
    if deadline:
        gevent.spawn_later(float(deadline), os._exit, 4)


_die_with_parent()


${BUCKET_LOW_PY}


class Buckets:
    __slots__ = ("counts", "min_us", "max_us")

    def __init__(self):
        self.counts = {}
        self.min_us = 0
        self.max_us = 0

    def record_s(self, seconds):
        us = int(seconds * 1e6 + 0.5)
        if us < 1:
            us = 1
        low = bucket_low_us(us)
        self.counts[low] = self.counts.get(low, 0) + 1
        if self.min_us == 0 or us < self.min_us:
            self.min_us = us
        if us > self.max_us:
            self.max_us = us

    def pairs(self):
        return [[k, self.counts[k]] for k in sorted(self.counts)]

    def to_json(self):
        return {"minUs": self.min_us, "maxUs": self.max_us, "buckets": self.pairs()}


class Shape:
    """Intended send times: the same linear-ramp stages and formula as authz-perf's scheduler."""

    def __init__(self, stages, start_target):
        self.segments = []
        t = 0.0
        count = 0.0
        frm = start_target
        for st in stages:
            dur = st["durationS"] * 1000.0
            if not dur > 0:
                continue
            fr = frm / 1000.0
            to = st["target"] / 1000.0
            c = (fr + to) / 2.0 * dur
            self.segments.append((t, dur, fr, to, count, c))
            t += dur
            count += c
            frm = st["target"]
        self.total_ms = t
        self.expected = math.ceil(count - 1e-9) if count > 0 else 0
        self.cursor = 0

    def time_of_ms(self, index):
        if index >= self.expected:
            return None
        if self.cursor >= len(self.segments) or index < self.segments[self.cursor][4]:
            self.cursor = 0
        while self.cursor < len(self.segments):
            start, dur, fr, to, first, c = self.segments[self.cursor]
            n = index - first
            if n < c or self.cursor == len(self.segments) - 1:
                if n <= 0:
                    return start
                a = (to - fr) / (2.0 * dur)
                disc = fr * fr + 4.0 * a * n
                denom = fr + math.sqrt(disc if disc > 0 else 0.0)
                if denom > 0:
                    t = 2.0 * n / denom
                    if t <= dur:
                        return start + t
            self.cursor += 1
        return None


class RunnerState:
    def __init__(self, index, runners, results_dir):
        self.index = index
        self.runners = runners
        self.results_dir = results_dir
        self.shape = Shape(PLAN["plan"]["config"]["stages"], PLAN["plan"]["startTarget"])
        self.max_second = max(0, math.ceil(self.shape.total_ms / 1000.0) - 1)
        self.counts = dict(scheduled=0, sent=0, completed=0, succeeded=0, failed=0, dropped=0, late=0, abandoned=0)
        self.errors = dict(connect=0, timeout=0, byStatus={}, mismatch=0, other=0, samples=[])
        self.corrected = Buckets()
        self.service = Buckets()
        self.lag = Buckets()
        self.seconds = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self.exhausted = 0
        self.t0 = time.perf_counter()
        self.cpu0 = time.process_time()
        self.sending_end = None
        self.last_done = 0.0
        self.finished = False
        self.written = False

    def second(self, t):
        s = int(t - self.t0) if t > self.t0 else 0
        if s > self.max_second:
            s = self.max_second
        while len(self.seconds) <= s:
            self.seconds.append({"sent": 0, "completed": 0, "errors": 0, "latency": Buckets()})
        return self.seconds[s]

    def failure(self, done, kind, status, message):
        self.counts["completed"] += 1
        self.counts["failed"] += 1
        sec = self.second(done)
        sec["completed"] += 1
        sec["errors"] += 1
        if kind == "status":
            key = str(status)
            self.errors["byStatus"][key] = self.errors["byStatus"].get(key, 0) + 1
            text = "HTTP %s%s" % (status, ": " + message if message else "")
        else:
            self.errors[kind] += 1
            text = "%s: %s" % (kind, message)
        text = text if len(text) <= 200 else text[:197] + "..."
        if len(self.errors["samples"]) < MAX_ERROR_SAMPLES and text not in self.errors["samples"]:
            self.errors["samples"].append(text)

    def result(self, interrupted):
        now = time.perf_counter()
        end = self.sending_end if self.sending_end is not None else now
        duration = max(0.0, end - self.t0)
        return {
            "format": "${RUNNER_RESULT_FORMAT}",
            "scheme": "${BUCKET_SCHEME}",
            "runner": "locust worker %d" % self.index,
            "runnerIndex": self.index,
            "runners": self.runners,
            "plan": PLAN["plan"],
            "durationS": duration,
            "activeS": max(duration, self.last_done - self.t0 if self.last_done else 0.0),
            "interrupted": interrupted,
            "counts": self.counts,
            "errors": self.errors,
            "corrected": self.corrected.to_json(),
            "service": self.service.to_json(),
            "lag": self.lag.to_json(),
            "seconds": [{"sent": s["sent"], "completed": s["completed"], "errors": s["errors"], "latency": s["latency"].pairs()} for s in self.seconds],
            "connectionsOpened": 0,
            "peakInFlight": self.peak_in_flight,
            "exhaustedCount": self.exhausted,
            "cpuSeconds": time.process_time() - self.cpu0,
        }

    def write(self, interrupted):
        if self.written:
            return
        self.written = True
        self.counts["abandoned"] = self.in_flight
        os.makedirs(self.results_dir, exist_ok=True)
        path = os.path.join(self.results_dir, "worker-%d.json" % self.index)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.result(interrupted), f, separators=(",", ":"))
        os.replace(tmp, path)


STATE = None


def check_body(index, content):
    """None when content is a check response for request index (and its expected decisions)."""
    try:
        parsed = json.loads(content)
    except Exception:
        return "response is not JSON: %r" % (content[:60],)
    results = parsed.get("results") if isinstance(parsed, dict) else None
    if not isinstance(results, list):
        return 'response has no "results" array'
    want = RESOURCE_COUNTS[index]
    if len(results) != want:
        return "expected %d results, got %d" % (want, len(results))
    if EXPECTED:
        for i, actions in enumerate(EXPECTED[index]):
            got = results[i].get("actions") if isinstance(results[i], dict) else None
            if not isinstance(got, dict):
                return "result %d has no actions" % i
            for action, effect in actions.items():
                if got.get(action) != effect:
                    return "decision mismatch: %s: expected %s, got %s" % (action, effect, got.get(action, "nothing"))
    return None


def error_kind(error):
    text = str(error)
    low = text.lower()
    if isinstance(error, (TimeoutError, gevent.Timeout)) or "timed out" in low or "timeout" in low:
        return "timeout", text
    if isinstance(error, ConnectionRefusedError) or "refused" in low or "connect" in low:
        return "connect", text
    return "other", text


def send_one(user, st, sem, index, intended):
    now = time.perf_counter()
    queued = False
    if not sem.acquire(blocking=False):
        queued = True
        st.exhausted += 1
        wait = intended + TIMEOUT_S - now
        if wait <= 0 or not sem.acquire(timeout=wait):
            st.counts["dropped"] += 1
            return
    st.in_flight += 1
    if st.in_flight > st.peak_in_flight:
        st.peak_in_flight = st.in_flight
    try:
        sent = time.perf_counter()
        st.counts["sent"] += 1
        st.second(sent)["sent"] += 1
        lag = sent - intended
        if not queued:
            st.lag.record_s(lag if lag > 0 else 0.0)
        if lag > LATE_S:
            st.counts["late"] += 1
        body_index = index % len(BODIES)
        try:
            with user.client.post(CONFIG_PATH, data=BODIES[body_index], headers=HEADERS, name="check", catch_response=True) as resp:
                done = time.perf_counter()
                status = resp.status_code or 0
                if status == 0:
                    kind, message = error_kind(resp.error)
                    resp.failure(message)
                elif status < 200 or status >= 300:
                    kind, message = "status", (resp.text or "")[:120]
                    resp.failure("HTTP %d" % status)
                else:
                    message = check_body(body_index, resp.content or b"")
                    kind = "mismatch" if message else None
                    if message:
                        resp.failure(message)
                    else:
                        resp.success()
        except Exception as e:  # anything the client did not turn into an error response
            done = time.perf_counter()
            status = 0
            kind, message = error_kind(e)
        st.last_done = done
        if kind is None:
            st.counts["completed"] += 1
            st.counts["succeeded"] += 1
            sec = st.second(done)
            sec["completed"] += 1
            st.corrected.record_s(done - intended)
            st.service.record_s(done - sent)
            sec["latency"].record_s(done - intended)
        else:
            st.failure(done, kind, status, message)
    finally:
        st.in_flight -= 1
        sem.release()


CONFIG_PATH = PLAN["path"]


def runner_slot(environment):
    opts = environment.parsed_options
    runner = environment.runner
    runners = getattr(opts, "authz_runners", 0) if opts else 0
    if not runners:
        runners = getattr(opts, "expect_workers", 1) if isinstance(runner, WorkerRunner) and opts else 1
    index = runner.worker_index if isinstance(runner, WorkerRunner) else 0
    results = getattr(opts, "authz_results", None) if opts else None
    return index, max(1, runners), results or "authz-perf-results"


class AuthzOpenModel(FastHttpUser):
    """One per worker: walks the worker's share of the arrival schedule."""

    # scheme://host:port only: the plan's request path already holds any path prefix of the target
    host = "%s://%s" % (urlsplit(CONFIG["targetUrl"]).scheme, urlsplit(CONFIG["targetUrl"]).netloc)
    concurrency = max(1, CONFIG["maxConnections"])
    network_timeout = TIMEOUT_S
    connection_timeout = TIMEOUT_S
    wait_time = constant(1)

    @task
    def open_model(self):
        global STATE
        if STATE is not None:
            # this worker already ran its share (or another of its users does): idle until stopped
            gevent.sleep(1)
            return
        index, runners, results_dir = runner_slot(self.environment)
        STATE = st = RunnerState(index, runners, results_dir)
        if index >= runners:
            sys.stderr.write("authz-perf: worker index %d but only %d runners: this worker sends nothing\n" % (index, runners))
            st.sending_end = st.t0
            st.write(False)
            return
        sem = BoundedSemaphore(max(1, math.ceil(CONFIG["maxConnections"] / runners)))
        group = Group()
        interrupted = True
        try:
            i = index
            while True:
                t_ms = st.shape.time_of_ms(i)
                if t_ms is None:
                    break
                intended = st.t0 + t_ms / 1000.0
                st.counts["scheduled"] += 1
                delay = intended - time.perf_counter()
                if delay > 0:
                    gevent.sleep(delay)
                group.spawn(send_one, self, st, sem, i, intended)
                i += runners
            # the sending phase is the planned duration (as in authz-perf's own runs), or longer
            # when this worker fell behind its schedule
            st.sending_end = max(time.perf_counter(), st.t0 + st.shape.total_ms / 1000.0)
            group.join(timeout=TIMEOUT_S + 1.0)
            interrupted = False
        finally:
            if st.sending_end is None:
                st.sending_end = time.perf_counter()
            st.write(interrupted)
            group.kill(block=False)


@events.quitting.add_listener
def _write_partial(environment, **_kwargs):
    if STATE is not None:
        STATE.write(True)
`;
}

export const LOCUST_REQUIREMENTS_TEXT = '# Locust 2.12 or later (Debian: apt-get install python3-locust); nothing else is needed\nlocust>=2.12\n';
