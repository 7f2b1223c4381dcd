"""The command line's last line of defence: every failure ends with a Chinese message and a non-zero exit.

Commands refuse known bad input themselves (see :mod:`zengshou.cli.checks`); what reaches this
module is a mistyped command line (click's English usage errors, translated here) or a failure
nobody foresaw, which is named in Chinese, logged with its traceback, and shown in full only with
``ZENGSHOU_DEBUG=1``.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any

import typer
import typer.main
from typer._click import exceptions as click

_CJK = re.compile(r"[\u4e00-\u9fff]")
_QUOTED = re.compile(r"['\"‘“](.+?)['\"’”]")
log = logging.getLogger("zengshou.cli")

#: Exit code of a failure nobody foresaw (a refused input exits with the command's own code, mostly 1 or 2).
UNEXPECTED_EXIT = 1


def debug() -> bool:
    return os.environ.get("ZENGSHOU_DEBUG", "") == "1"


def log_file() -> Path | None:
    """``$ZENGSHOU_HOME/logs/zengshou.log``, or None where the home cannot be written."""
    try:
        from zengshou import config

        folder = config.home() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "zengshou.log"
    except OSError:
        return None


def _write_log(command: str, exc: BaseException) -> Path | None:
    path = log_file()
    if path is None:
        return None
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.propagate = False  # once, into this file, whether or not Django's logging is configured yet
    try:
        log.error("zengshou %s failed: %s", command, exc, exc_info=exc)
    finally:
        log.propagate = True
        log.removeHandler(handler)
        handler.close()
    return path


def _path_detail(message: str) -> str:
    """Click's English texts of a path option that is missing, a folder, or unreadable."""
    found = _QUOTED.search(message)
    value = found.group(1) if found else ""
    if "does not exist" in message:
        return f"文件或文件夹不存在：{value}"
    if "is a directory" in message:
        return f"{value} 是文件夹，这里需要一个文件"
    if "is a file" in message:
        return f"{value} 是文件，这里需要一个文件夹"
    if "not readable" in message or "not writable" in message:
        return f"没有权限读写：{value}"
    return f"路径无效：{value}"


def _given(exc: click.BadParameter, args: list[str]) -> str | None:
    """The value the user typed for the refused option (typer's messages leave it out)."""
    opts = getattr(exc.param, "opts", None) or []
    for i, arg in enumerate(args):
        for opt in opts:
            if arg == opt and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(f"{opt}="):
                return arg.split("=", 1)[1]
    return None


def _parameter_detail(exc: click.BadParameter, args: list[str]) -> str:
    """Typer's English texts of a value it refuses, in Chinese."""
    message = exc.message
    if re.search(r"(does not exist|is a directory|is a file|not readable|not writable)\.$", message):
        return _path_detail(message)  # before the Chinese test: a Chinese file name is no Chinese message
    if _CJK.search(message):
        return message
    found = _QUOTED.search(message)
    given = _given(exc, args) or (found.group(1) if found else None)
    value = f"“{given}”" if given is not None else ""
    if (m := re.search(r"(less|greater) than or equal to (\S+)", message)) is not None:
        return f"值 {value} 应{'不大于' if m.group(1) == 'less' else '不小于'} {m.group(2)}"
    if (m := re.search(r"(less|greater) than (\S+)", message)) is not None:
        return f"值 {value} 应{'小于' if m.group(1) == 'less' else '大于'} {m.group(2)}"
    if "is not one of" in message:
        return (
            f"值 {value} 无效，应为 {'、'.join(_QUOTED.findall(message.split('is not one of', 1)[1]))} 之一"
        )
    if (m := re.search(r"not in the range ([^.]+)", message)) is not None:
        return f"值 {value} 超出范围（{m.group(1)}）"
    if re.search(r"valid integer|int_parsing", message, re.I):
        return f"值 {value} 应为整数"
    if re.search(r"valid (float|number)|float_parsing", message, re.I):
        return f"值 {value} 应为数字"
    return f"值 {value} 无效"


def usage_message(exc: click.UsageError, args: list[str] | None = None) -> str:
    """A Chinese sentence for click's usage errors (a missing option, a mistyped value or command)."""
    hint = ""
    if isinstance(exc, click.MissingParameter):
        name = exc.param_hint or _opt(exc)
        text = f"缺少必填参数 {_hint(name)}"
    elif isinstance(exc, click.NoSuchOption):
        text = f"没有选项 {exc.option_name}"
        if exc.possibilities:
            text += f"（是否想用 {'、'.join(exc.possibilities)}？）"
    elif isinstance(exc, click.BadParameter):
        name = exc.param_hint or _opt(exc)
        text = f"参数 {_hint(name)} 有误：{_parameter_detail(exc, args or [])}"
    elif (m := re.match(r"No such command '(.+)'", exc.message)) is not None:
        text = f"没有命令 {m.group(1)}"
    elif (m := re.match(r"Got unexpected extra argument(?:\(s\)|s)? \((.+)\)", exc.message)) is not None:
        text = f"多余的参数：{m.group(1)}"
    elif _CJK.search(exc.message):
        text = exc.message
    else:
        found = _QUOTED.search(exc.message)
        text = "命令行有误" + (f"：{found.group(1)}" if found else "")
    if exc.ctx is not None:
        hint = f"。用法见 {exc.ctx.command_path} --help"
    return f"错误：{text}{hint}"


def _opt(exc: click.BadParameter) -> str:
    opts = getattr(exc.param, "opts", None) or []
    return str(opts[0]) if opts else str(getattr(exc.param, "name", "") or "")


def _hint(name: Any) -> str:
    if isinstance(name, list | tuple):
        name = " / ".join(str(n) for n in name)
    return str(name).replace("'", "")


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError behind ``exc`` (libraries wrap them: xlsxwriter's FileCreateError, polars')."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and not _is_database_error(current):
            return current
        if current.args and isinstance(current.args[0], OSError):
            return current.args[0]
        current = current.__cause__ or current.__context__
    return None


def _is_database_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith(("django.db", "sqlite3", "psycopg"))


def describe(exc: BaseException) -> str:
    """What failed, in words a county official can act on."""
    os_error = _os_error(exc)
    if os_error is not None:
        name = os_error.filename or ""
        if isinstance(os_error, FileNotFoundError):
            return f"文件或文件夹不存在：{name}"
        if isinstance(os_error, IsADirectoryError) or "is a directory" in str(os_error):
            return f"{name or '所给路径'} 是文件夹，这里需要一个文件名"
        if isinstance(os_error, NotADirectoryError):
            return f"{name} 不是文件夹"
        if isinstance(os_error, PermissionError):
            return f"没有权限读写：{name}"
        if os_error.errno == errno.ENOSPC:
            return "磁盘空间不足"
        return f"读写文件出错：{name}（错误号 {os_error.errno}）"
    if _is_database_error(exc):
        return "数据库无法连接或出错（检查 DATABASE_URL 或 $ZENGSHOU_HOME 中的数据库文件）"
    if isinstance(exc, MemoryError):
        return "内存不足，请缩小范围（--area）后重试"
    text = str(exc)
    if _CJK.search(text):
        return text
    return f"程序内部错误（{type(exc).__name__}）"


def command_name(group: Any, args: list[str]) -> str:
    """The command (and sub-command of a group) named on the command line, for messages and the log."""
    words: list[str] = []
    current = group
    for arg in args:
        commands = getattr(current, "commands", None)
        if arg.startswith("-") or not commands:
            break
        found = commands.get(arg)
        if found is None:
            break
        words.append(arg)
        current = found
    return " ".join(words) or "(无命令)"


def run_guarded(app: typer.Typer, args: list[str] | None = None) -> int:
    """Run ``app`` and turn every failure into a Chinese message and an exit code."""
    args = list(sys.argv[1:] if args is None else args)
    group = typer.main.get_command(app)
    command = command_name(group, args)
    try:
        result = group.main(args=args, prog_name="zengshou", standalone_mode=False)
    except click.NoArgsIsHelpError as exc:
        exc.show()
        return exc.exit_code
    except click.UsageError as exc:
        typer.echo(usage_message(exc, args), err=True)
        return exc.exit_code
    except click.ClickException as exc:
        message = exc.format_message()
        typer.echo(f"错误：{message if _CJK.search(message) else describe(exc)}", err=True)
        return exc.exit_code
    except typer.Abort:
        typer.echo("已取消 / aborted", err=True)
        return 1
    except KeyboardInterrupt:
        typer.echo("已中断 / interrupted", err=True)
        return 130
    except Exception as exc:
        path = _write_log(command, exc)
        if debug():
            traceback.print_exception(exc, file=sys.stderr)
        where = f"详情已记入日志 {path}" if path else "详情未能写入日志"
        typer.echo(
            f"错误：命令 zengshou {command} 未能完成：{describe(exc)}。{where}；"
            "设置环境变量 ZENGSHOU_DEBUG=1 可在屏幕上显示技术细节。",
            err=True,
        )
        return UNEXPECTED_EXIT
    return result if isinstance(result, int) else 0
