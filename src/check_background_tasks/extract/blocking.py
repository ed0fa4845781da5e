"""Calls that block the event loop when a coroutine makes them (BGT040).

A blocking call is named by what it resolves to (`time.sleep`, `shutil.rmtree`,
`requests.get`); a call on a synchronous client made in the same function
(`s3 = boto3.client("s3")`, `session = requests.Session()`) is named after the client's
package, `boto3:s3.upload_file`, so the rule can say what it is and what to use instead.
"""

from __future__ import annotations

BLOCKING_CALLS = frozenset(
    {
        "time.sleep",
        # sync HTTP
        "requests.get",
        "requests.post",
        "requests.put",
        "requests.patch",
        "requests.delete",
        "requests.head",
        "requests.options",
        "requests.request",
        "httpx.get",
        "httpx.post",
        "httpx.put",
        "httpx.patch",
        "httpx.delete",
        "httpx.head",
        "httpx.options",
        "httpx.request",
        "httpx.stream",
        "urllib.request.urlopen",
        "urllib.request.urlretrieve",
        "urllib3.request",
        "socket.create_connection",
        # processes
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "os.system",
        "os.popen",
        "os.wait",
        "os.waitpid",
        # files and directories
        "open",
        "os.listdir",
        "os.scandir",
        "os.walk",
        "os.remove",
        "os.unlink",
        "os.rename",
        "os.renames",
        "os.replace",
        "os.makedirs",
        "os.mkdir",
        "os.rmdir",
        "os.removedirs",
        "shutil.copy",
        "shutil.copy2",
        "shutil.copyfile",
        "shutil.copyfileobj",
        "shutil.copytree",
        "shutil.rmtree",
        "shutil.move",
        "shutil.make_archive",
        "shutil.unpack_archive",
    }
)

# Constructors of synchronous network clients: every method call on what they return does
# I/O (boto3 clients and resources, requests sessions, httpx's sync client, urllib3 pools).
CLIENT_FACTORIES = {
    "boto3.client": "boto3",
    "boto3.resource": "boto3",
    "boto3.Session().client": "boto3",
    "boto3.Session().resource": "boto3",
    "boto3.session.Session().client": "boto3",
    "boto3.session.Session().resource": "boto3",
    "requests.Session": "requests",
    "requests.session": "requests",
    "httpx.Client": "httpx",
    "urllib3.PoolManager": "urllib3",
}
# Methods of such clients that do no I/O.
QUIET_METHODS = frozenset({"close", "mount", "get_paginator", "get_waiter", "Bucket", "Table"})


def client_family(resolved: str | None) -> str | None:
    """The package of a sync client built by this call, e.g. 'boto3' for boto3.client."""
    return CLIENT_FACTORIES.get(resolved or "")


def blocking_name(resolved: str, clients: dict[str, str]) -> str | None:
    """How a blocking call is reported, or None when the call does not block."""
    if resolved in BLOCKING_CALLS:
        return resolved
    head, dot, method = resolved.partition(".")
    if dot and head in clients and method.rpartition(".")[2] not in QUIET_METHODS:
        return f"{clients[head]}:{resolved}"
    factory, chained, method = resolved.partition("().")
    if chained and client_family(factory) and method not in QUIET_METHODS:
        return f"{client_family(factory)}:{resolved}"  # requests.Session().get(...)
    return None
