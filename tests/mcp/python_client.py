"""The official Python MCP SDK (`pip install mcp`) against a running omi-server.

    python3 tests/mcp/python_client.py BASE_URL OMI_MCP_KEY

Connects over Streamable HTTP (`/v1/mcp/sse`) and over the legacy HTTP+SSE transport (`/v1/mcp/sse/legacy`),
initializes, lists the tools and calls the memory and action-item tools, each time checking the answers.
Prints one line per check and `N passed, M failed`; exits 1 when a check failed. Run by
tests/tests/mcp.rs (`the_official_python_sdk_talks_to_the_server`) against the server it starts.
"""

import asyncio
import json
import sys
import traceback

from mcp import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

TOOLS = {
    "get_memories",
    "create_memory",
    "edit_memory",
    "delete_memory",
    "search_memories",
    "search_conversations",
    "get_conversations",
    "get_conversation_by_id",
    "get_action_items",
    "create_action_item",
    "complete_action_item",
    "get_daily_summaries",
    "get_folders",
    "get_goals",
    "get_user_profile",
    "get_people",
    "get_chat_messages",
}


async def call(session: ClientSession, name: str, arguments: dict) -> dict:
    result = await session.call_tool(name, arguments)
    assert not result.is_error, f"{name}: {result}"
    assert result.content[0].type == "text", result
    return json.loads(result.content[0].text)


async def exercise(session: ClientSession, place: str) -> None:
    initialized = await session.initialize()
    assert initialized.server_info.name == "omi-mcp-server", initialized
    assert initialized.capabilities.tools is not None, initialized

    tools = await session.list_tools()
    names = {tool.name for tool in tools.tools}
    assert names == TOOLS, names

    created = await call(session, "create_memory", {"content": f"I sail on the {place} lake"})
    assert created["success"] is True, created
    assert created["memory"]["category"] == "system", created
    memory_id = created["memory"]["id"]

    found = await call(session, "search_memories", {"query": f"sail {place}"})
    assert found["memories"][0]["id"] == memory_id, found
    assert found["memories"][0]["relevance_score"] == 1.0, found

    edited = await call(session, "edit_memory", {"memory_id": memory_id, "content": f"I row on the {place} lake"})
    assert edited == {"success": True}, edited
    listed = await call(session, "get_memories", {"categories": ["system"], "limit": 500})
    assert any(m["id"] == memory_id and m["content"] == f"I row on the {place} lake" for m in listed["memories"])

    conversations = await call(session, "get_conversations", {"start_date": "2020-01-01", "limit": 5})
    assert isinstance(conversations["conversations"], list), conversations

    item = await call(session, "create_action_item", {"description": f"Pack for {place}"})
    item_id = item["action_item"]["id"]
    done = await call(session, "complete_action_item", {"action_item_id": item_id})
    assert done["action_item"]["completed"] is True, done
    items = await call(session, "get_action_items", {"completed": True})
    assert item_id in [i["id"] for i in items["action_items"]], items

    deleted = await call(session, "delete_memory", {"memory_id": memory_id})
    assert deleted == {"success": True}, deleted
    try:
        await session.call_tool("delete_memory", {"memory_id": memory_id})
    except Exception as error:  # the SDK raises the JSON-RPC error
        assert "-32001" in repr(error) or "not found" in str(error).lower(), repr(error)
    else:
        raise AssertionError("deleting a deleted memory should fail")


async def streamable(base: str, key: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with create_mcp_http_client(headers=headers) as http:
        async with streamable_http_client(f"{base}/v1/mcp/sse", http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await exercise(session, "Geneva")


async def legacy(base: str, key: str) -> None:
    # The bare key (without "Bearer") is accepted by the MCP transports too.
    headers = {"Authorization": key}
    async with sse_client(f"{base}/v1/mcp/sse/legacy", headers=headers) as (read, write):
        async with ClientSession(read, write) as session:
            await exercise(session, "Constance")


async def main(base: str, key: str) -> int:
    passed = failed = 0
    for name, check in [("streamable http", streamable), ("legacy sse", legacy)]:
        try:
            await asyncio.wait_for(check(base, key), timeout=60)
            print(f"ok: {name}")
            passed += 1
        except BaseException:  # noqa: BLE001 - report every failure, including task-group errors
            print(f"FAILED: {name}")
            traceback.print_exc()
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python_client.py BASE_URL OMI_MCP_KEY")
    sys.exit(asyncio.run(main(sys.argv[1].rstrip("/"), sys.argv[2])))
