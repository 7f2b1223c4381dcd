"""``zengshou user add|list|token``: accounts of the web app with a role and an area."""

from __future__ import annotations

import typer

from zengshou.cli import app

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
    typer.echo(f"已创建用户 {name}，角色 {role}，区域 {area}")
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
