"""``python -m sandbox``: run the stand-ins from a shell.

    python -m sandbox enterprise --port 8712 --enterprises 1000000 --prerender
    python -m sandbox up --dir /tmp/sandbox

``enterprise`` runs the REST registry alone (for benchmarks) and prints one line
``listening http://127.0.0.1:P`` once it answers; its credentials are the app key
``tongban_scjg`` and ``World(seed).secret("scjg")`` unless given. ``receiver`` runs the
provincial platform or e-supervision (``sandbox.receivers``) and prints the same line.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from collections.abc import Sequence

from sandbox.box import DEFAULT_PORTS, REST_APP_KEY, SandboxConfig, serve
from sandbox.dirt import DirtRates
from sandbox.enterprise import EnterpriseServer
from sandbox.world import World


def _enterprise(args: argparse.Namespace) -> None:
    world = World(args.seed, args.people, args.enterprises)
    secret = args.app_secret or world.secret("scjg")
    server = EnterpriseServer(
        world,
        DirtRates.none() if args.no_dirt else DirtRates(),
        credentials={args.app_key: secret},
        rate_limit=args.rate_limit,
        error_every=args.error_every,
        prerender=args.prerender,
        host=args.host,
        port=args.port,
    )
    print(f"listening {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _receiver(args: argparse.Namespace) -> None:
    from sandbox.receivers import CaseReceiver

    options = {"failure_rate": args.failure_rate, "hang_seconds": args.hang_seconds,
               "host": args.host, "port": args.port}  # fmt: skip
    if args.system == "province":
        rx = CaseReceiver.province(args.app_key, args.secret, **options)
    else:
        rx = CaseReceiver.supervision(args.token, **options)
    rx.start()
    print(f"listening {rx.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        rx.stop()


def _up(args: argparse.Namespace) -> None:
    directory = args.dir or tempfile.mkdtemp(prefix="tongban-sandbox-")
    config = SandboxConfig(
        seed=args.seed, people=args.people, enterprises=args.enterprises,
        dirt=DirtRates.none() if args.no_dirt else DirtRates(),
    )  # fmt: skip
    serve(directory, config, (args.soap_port, args.rest_port))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rest = commands.add_parser("enterprise", help="run the REST enterprise registry alone")
    rest.add_argument("--port", type=int, default=DEFAULT_PORTS[1])
    rest.add_argument("--host", default="127.0.0.1")
    rest.add_argument("--enterprises", type=int, default=120)
    rest.add_argument("--people", type=int, default=400)
    rest.add_argument("--seed", type=int, default=20261122)
    rest.add_argument("--prerender", action="store_true")
    rest.add_argument("--no-dirt", action="store_true")
    rest.add_argument("--rate-limit", type=float, default=None)
    rest.add_argument("--error-every", type=int, default=0)
    rest.add_argument("--app-key", default=REST_APP_KEY)
    rest.add_argument("--app-secret", default=None)
    rest.set_defaults(run=_enterprise)
    rx = commands.add_parser("receiver", help="run the provincial platform or e-supervision")
    rx.add_argument("--system", choices=("province", "supervision"), required=True)
    rx.add_argument("--port", type=int, default=0)
    rx.add_argument("--host", default="127.0.0.1")
    rx.add_argument("--app-key", default="tongban")
    rx.add_argument("--secret", default="province-secret")
    rx.add_argument("--token", default="supervision-token")
    rx.add_argument("--failure-rate", type=float, default=0.0)
    rx.add_argument("--hang-seconds", type=float, default=2.0)
    rx.set_defaults(run=_receiver)
    up = commands.add_parser("up", help="run every stand-in and print the env lines")
    up.add_argument("--dir", default=None)
    up.add_argument("--seed", type=int, default=20261122)
    up.add_argument("--people", type=int, default=400)
    up.add_argument("--enterprises", type=int, default=120)
    up.add_argument("--no-dirt", action="store_true")
    up.add_argument("--soap-port", type=int, default=DEFAULT_PORTS[0])
    up.add_argument("--rest-port", type=int, default=DEFAULT_PORTS[1])
    up.set_defaults(run=_up)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
