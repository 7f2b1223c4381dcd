"""``zengshou serve`` (the web app: gunicorn and whitenoise, or Django's development server with
``--dev``) and ``zengshou user add|list|token`` (accounts with a role and an area)."""

from __future__ import annotations

import errno
import os
import socket
from typing import Annotated, Any

import typer

from zengshou.cli import app
from zengshou.cli.checks import fail

#: Always answered: the machine itself (the health check, a browser on the server).
LOCAL_HOSTS = ("127.0.0.1", "localhost")
#: Bind addresses that mean "every network interface".
ANY_ADDRESS = ("0.0.0.0", "::")

user_app = typer.Typer(help="网页用户 / web users", no_args_is_help=True)
app.add_typer(user_app, name="user")


def _setup() -> None:
    from zengshou.cli.core import migrate

    migrate()


@user_app.command("add")
def add(
    username: str = typer.Option(..., "--username", help="用户名"),
    role: str = typer.Option(
        ...,
        "--role",
        help="角色：自治区管理员 市级用户 县级用户 乡镇用户 村级用户 帮扶干部 部门用户（或 region_admin city county township village cadre department）",
    ),
    area: str = typer.Option(..., "--area", help="区划代码（6位县市、9位乡镇、12位村）"),
    password: str = typer.Option("", "--password", help="不填则生成随机密码并显示一次"),
    cadre: str = typer.Option("", "--cadre", help="帮扶干部的干部编号"),
    department: str = typer.Option("", "--department", help="部门用户的数据类型（医保、残联、民政…）"),
    replace: bool = typer.Option(False, "--replace", help="用户已存在时重设角色和密码"),
) -> None:
    """新建网页用户 / create a web user with a role and an area."""
    _setup()
    from zengshou.web.accounts import AccountError, add_user

    try:
        name, pw = add_user(username, role, area, password or None, cadre or None, department, replace)
    except (AccountError, ValueError) as e:
        typer.secho(f"错误 / error: {e}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from e
    from zengshou.web.models import UserProfile

    profile = UserProfile.objects.select_related("area").get(user__username=name)
    typer.echo(
        f"已创建用户 {name}，角色 {profile.get_role_display()}，区域 {profile.area.name}（{profile.area_id}）"
    )
    if not password:
        typer.echo(f"初始密码（只显示一次）: {pw}")


@user_app.command("list")
def list_users() -> None:
    """列出网页用户 / list web users."""
    _setup()
    from zengshou.web.models import UserProfile

    for p in UserProfile.objects.select_related("user", "area").order_by("role", "user__username"):
        typer.echo(
            f"{p.user.username:16s} {p.get_role_display():8s} {p.area.name}（{p.area_id}）{' ' + p.cadre_id if p.cadre_id else ''}"
        )


@user_app.command("token")
def token(
    username: str = typer.Option(..., "--username"),
    label: str = typer.Option("", "--label", help="用途说明"),
) -> None:
    """为接口调用生成令牌 / create an API token (shown once)."""
    _setup()
    from zengshou.web.accounts import AccountError, new_token

    try:
        key = new_token(username, label)
    except AccountError as e:
        typer.secho(f"错误 / error: {e}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from e
    typer.echo(f"令牌（只显示一次，请求头 Authorization: Bearer <令牌>）: {key}")


def demo_users() -> list[tuple[str, str, str, str]]:
    """One user per role for areas present in the data (the demo prints them)."""
    from zengshou.web.demo import create_demo_users

    return create_demo_users()


def machine_addresses() -> list[str]:
    """This machine's host names and IPv4 addresses: what colleagues type to reach it on the LAN."""
    names = {socket.gethostname(), socket.getfqdn()}
    addresses: set[str] = set()
    for name in list(names):
        try:
            addresses.update(str(info[4][0]) for info in socket.getaddrinfo(name, None, socket.AF_INET))
        except OSError:
            continue
    try:  # the address of the interface that leads to other machines (no packet is sent)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            addresses.add(str(probe.getsockname()[0]))
    except OSError:
        pass
    return sorted(n for n in names | addresses if n and n not in LOCAL_HOSTS)


def allowed_hosts(host: str, extra: str) -> list[str]:
    """The Host names the server answers to: the machine itself, ``extra`` (comma-separated) and the
    bind address — or, bound to every interface, every address and name of this machine."""
    hosts = [*LOCAL_HOSTS, *(h.strip() for h in extra.split(",") if h.strip())]
    hosts += machine_addresses() if host in ANY_ADDRESS else [host]
    return list(dict.fromkeys(hosts))


def _check_port(host: str, port: int) -> None:
    """Refuse a port that is taken before anything starts (gunicorn would retry, then fail in English)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(f"端口 {port} 已被占用（可能已有一个 zengshou serve 在运行）；请用 --port 换一个端口")
            fail(
                f"无法在地址 {host} 上监听（{exc.strerror}）；--host 应为本机的地址，或 0.0.0.0 表示所有网卡"
            )


def _gunicorn(application: Any, options: dict[str, Any]) -> None:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    Server().run()


def run_server(
    host: str = "127.0.0.1",
    port: int = 8000,
    hosts: str = "",
    workers: int = 2,
    dev: bool = False,
) -> None:
    """Serve the web app until stopped, with the background worker beside it."""
    names = allowed_hosts(host, hosts)
    os.environ["ZENGSHOU_ALLOWED_HOSTS"] = ",".join(names)  # before Django reads its settings
    os.environ["ZENGSHOU_LOG_CONSOLE"] = "1"
    _check_port(host, port)
    from zengshou.cli.core import migrate

    migrate()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    settings.ALLOWED_HOSTS = names  # the demo has read the settings before
    if not dev:
        call_command("collectstatic", interactive=False, verbosity=0)
    shown = [h for h in names if h not in LOCAL_HOSTS] if host in ANY_ADDRESS else [host]
    for name in shown or [host]:
        typer.echo(f"网页地址 / web app: http://{'[' + name + ']' if ':' in name else name}:{port}/")
    typer.echo(
        f"允许访问的主机名 / allowed hosts: {'、'.join(names)}（增加：--allowed-hosts 或 ZENGSHOU_ALLOWED_HOSTS）"
    )
    typer.echo(
        "开发服务器（仅供调试） / development server" if dev else f"生产服务器 gunicorn，{workers} 个进程"
    )
    import signal

    from zengshou.batch.worker import start_worker

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)  # the development server would die without stopping the worker
    worker = start_worker()
    try:
        if dev:
            call_command("runserver", f"{host}:{port}", use_reloader=False)
            return
        from django.core.wsgi import get_wsgi_application

        from zengshou import config

        application = get_wsgi_application()
        connections.close_all()  # never share a connection with the forked workers
        logs = config.home() / "logs"
        logs.mkdir(exist_ok=True)
        _gunicorn(
            application,
            {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": 4,
                "limit_request_line": 8190,  # gunicorn's ceiling: longer lines get its own English 414
                "timeout": 300,  # a 50,000-household export or a PDF report may take minutes
                "graceful_timeout": 20,
                "accesslog": str(logs / "access.log"),
                "errorlog": str(logs / "server.log"),
                "loglevel": "info",
                "proc_name": "zengshou",
                "control_socket_disable": True,  # one home per server: no socket shared in ~/.gunicorn
            },
        )
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except Exception:
            worker.kill()


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="监听地址；0.0.0.0 表示所有网卡（办公室局域网） / bind address")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口 / port")] = 8000,
    hosts: Annotated[
        str,
        typer.Option(
            "--allowed-hosts",
            envvar="ZENGSHOU_ALLOWED_HOSTS",
            help="另外允许的主机名或地址，逗号分隔（如 192.168.1.20,zengshou.xj.gov.cn） / extra Host names",
        ),
    ] = "",
    workers: Annotated[int, typer.Option("--workers", min=1, max=32, help="gunicorn 进程数 / workers")] = 2,
    dev: Annotated[
        bool, typer.Option("--dev", help="Django 开发服务器（仅供调试） / Django's development server")
    ] = False,
) -> None:
    """启动网页服务（gunicorn，含后台任务进程） / serve the web app (gunicorn; --dev: development server)."""
    run_server(host, port, hosts, workers, dev)
