"""Memories and action items through the client that openapi-python-client generated from /openapi.json.

run.sh generates the client as the package `omi_client` and sets OMI_BASE_URL and OMI_TOKEN. Request bodies
are built from dicts with the model class each operation's signature names, so that the test depends on the
operations (method and path) and the wire format, not on the names the generator gives to models.
"""

import importlib
import os
import typing
import unittest
import uuid
from http import HTTPStatus

from omi_client import AuthenticatedClient


def client():
    return AuthenticatedClient(base_url=os.environ["OMI_BASE_URL"], token=os.environ["OMI_TOKEN"])


def operation(tag, operation_id):
    """The generated module of an operation: omi_client.api.<tag>.<operation_id>."""
    return importlib.import_module(f"omi_client.api.{tag}.{operation_id}")


def call(tag, operation_id, body=None, **arguments):
    """Calls the operation; a dict body becomes the operation's body model. Returns the detailed response."""
    module = operation(tag, operation_id)
    if body is not None:
        hints = typing.get_type_hints(module._get_kwargs)
        if "body" not in hints:
            raise AssertionError(f"{operation_id} documents no request body (its route does not describe itself yet)")
        arguments["body"] = hints["body"].from_dict(body)
    with client() as session:
        return module.sync_detailed(client=session, **arguments)


class Memories(unittest.TestCase):
    def test_create_list_update_delete(self):
        content = f"likes tea {uuid.uuid4().hex[:8]}"
        created = call("memories", "post_v1_memories", {"content": content, "tags": ["drink"]})
        self.assertEqual(created.status_code, HTTPStatus.OK, created.content)
        memory = created.parsed
        self.assertEqual(memory.content, content)
        self.assertEqual(memory.tags, ["drink"])
        self.assertEqual(memory.category, "interesting")

        listed = call("memories", "get_v1_memories", limit=10)
        self.assertEqual(listed.status_code, HTTPStatus.OK, listed.content)
        self.assertIn(memory.id, [m.id for m in listed.parsed])
        by_category = call("memories", "get_v3_memories", categories=["interesting"])
        self.assertIn(memory.id, [m.id for m in by_category.parsed])

        updated = call("memories", "put_v1_memories_id", {"content": "likes green tea"}, id=memory.id)
        self.assertEqual(updated.status_code, HTTPStatus.OK, updated.content)
        self.assertEqual(updated.parsed.content, "likes green tea")
        self.assertTrue(updated.parsed.edited)

        history = call("memories", "get_v1_memories_id_history", id=memory.id)
        self.assertEqual([v.event for v in history.parsed.versions], ["MemoryCreated", "MemoryEdited"])

        deleted = call("memories", "delete_v1_memories_id", id=memory.id)
        self.assertEqual(deleted.status_code, HTTPStatus.OK, deleted.content)
        self.assertEqual(deleted.parsed.status, "ok")
        gone = call("memories", "get_v1_memories_id", id=memory.id)
        self.assertEqual(gone.status_code, HTTPStatus.NOT_FOUND)
        self.assertEqual(gone.parsed.detail, "Memory not found")

    def test_invalid_input_is_a_parsed_validation_error(self):
        refused = call("memories", "post_v1_memories", {"content": "   "})
        self.assertEqual(refused.status_code, HTTPStatus.UNPROCESSABLE_ENTITY)
        self.assertEqual(refused.parsed.detail[0].loc, ["body", "content"])


class ActionItems(unittest.TestCase):
    def test_create_list_update_complete_delete(self):
        description = f"call the plumber {uuid.uuid4().hex[:8]}"
        created = call("action_items", "post_v1_action_items", {"description": description})
        self.assertEqual(created.status_code, HTTPStatus.OK, created.content)
        item = created.parsed
        self.assertEqual(item.description, description)
        self.assertFalse(item.completed)

        listed = call("action_items", "get_v1_action_items", limit=10)
        self.assertEqual(listed.status_code, HTTPStatus.OK, listed.content)
        self.assertIn(item.id, [i.id for i in listed.parsed.action_items])

        updated = call("action_items", "patch_v1_action_items_id", {"description": "call the electrician"}, id=item.id)
        self.assertEqual(updated.status_code, HTTPStatus.OK, updated.content)
        self.assertEqual(updated.parsed.description, "call the electrician")

        completed = call("action_items", "patch_v1_action_items_id_completed", id=item.id, completed=True)
        self.assertEqual(completed.status_code, HTTPStatus.OK, completed.content)
        self.assertTrue(completed.parsed.completed)

        deleted = call("action_items", "delete_v1_action_items_id", id=item.id)
        self.assertEqual(deleted.status_code, HTTPStatus.NO_CONTENT, deleted.content)
        gone = call("action_items", "get_v1_action_items_id", id=item.id)
        self.assertEqual(gone.status_code, HTTPStatus.NOT_FOUND)


if __name__ == "__main__":
    unittest.main()
