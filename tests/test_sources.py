"""Loading mapping files: the layouts, the formats, and errors that name the file, the line and the field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockpit import MappingError, MockServer
from mockpit._sources import load_source, load_sources


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def stub(path: str, body: str, **extra: Any) -> dict[str, Any]:
    return {"request": {"method": "GET", "urlPath": path}, "response": {"body": body}, **extra}


def served(http_client: httpx.Client, server: MockServer, path: str) -> tuple[int, str]:
    answer = http_client.get(server.url_for(path), timeout=5)
    return answer.status_code, answer.text


# --- layouts --------------------------------------------------------------------------------------


def test_a_root_with_mappings_and_files(tmp_path: Path, http_client: httpx.Client) -> None:
    write_json(tmp_path / "mappings" / "a.json", stub("/a", "a"))
    write_json(
        tmp_path / "mappings" / "file.json",
        {"request": {"urlPath": "/file"}, "response": {"bodyFileName": "data/body.json"}},
    )
    (tmp_path / "__files" / "data").mkdir(parents=True)
    (tmp_path / "__files" / "data" / "body.json").write_text('{"from": "file"}')
    [source] = load_sources([tmp_path])
    assert source.files_root == tmp_path / "__files"
    assert source.files == [tmp_path / "mappings" / "a.json", tmp_path / "mappings" / "file.json"]
    assert len(source.stubs) == 2
    with MockServer(mappings=tmp_path) as server:
        assert served(http_client, server, "/a") == (200, "a")
        answer = http_client.get(server.url_for("/file"))
        assert answer.json() == {"from": "file"}
        assert answer.headers["content-type"] == "application/json"


def test_a_folder_of_files_with_its_own_files_folder(tmp_path: Path, http_client: httpx.Client) -> None:
    # JSON bodies in __files/ beside the mapping files are bodies, not mappings
    write_json(tmp_path / "one.json", {"request": {"urlPath": "/one"}, "response": {"bodyFileName": "one.json"}})
    write_json(tmp_path / "__files" / "one.json", {"not": "a mapping"})
    (tmp_path / "README.md").write_text("# not a mapping")
    (tmp_path / "notes.txt").write_text("nor this")
    [source] = load_sources([tmp_path])
    assert source.files == [tmp_path / "one.json"]
    with MockServer(mappings=tmp_path) as server:
        assert http_client.get(server.url_for("/one")).json() == {"not": "a mapping"}


def test_a_folder_named_mappings_uses_the_sibling_files_folder(tmp_path: Path, http_client: httpx.Client) -> None:
    write_json(tmp_path / "mappings" / "f.json", {"request": {"urlPath": "/f"}, "response": {"bodyFileName": "f.txt"}})
    (tmp_path / "__files").mkdir()
    (tmp_path / "__files" / "f.txt").write_text("sibling")
    assert load_source(tmp_path / "mappings").files_root == tmp_path / "__files"
    assert load_source(tmp_path / "mappings" / "f.json").files_root == tmp_path / "__files"
    with MockServer(mappings=tmp_path / "mappings") as server:
        assert served(http_client, server, "/f") == (200, "sibling")
    with MockServer(mappings=tmp_path / "mappings" / "f.json") as server:
        assert served(http_client, server, "/f") == (200, "sibling")


def test_one_file(tmp_path: Path, http_client: httpx.Client) -> None:
    file = write_json(tmp_path / "single.json", stub("/single", "single"))
    write_json(tmp_path / "other.json", stub("/other", "other"))
    [source] = load_sources([file])
    assert source.files == [file]
    with MockServer(mappings=file) as server:
        assert served(http_client, server, "/single") == (200, "single")
        assert served(http_client, server, "/other")[0] == 404
        server.reset()


def test_nested_folders_are_read_in_a_stable_order(tmp_path: Path, http_client: httpx.Client) -> None:
    write_json(tmp_path / "mappings" / "b" / "deep" / "z.json", stub("/z", "z"))
    write_json(tmp_path / "mappings" / "a" / "y.json", stub("/y", "y"))
    write_json(tmp_path / "mappings" / "x.json", stub("/x", "x"))
    [source] = load_sources([tmp_path])
    relative = [file.relative_to(tmp_path / "mappings").as_posix() for file in source.files]
    assert relative == ["a/y.json", "b/deep/z.json", "x.json"]
    with MockServer(mappings=tmp_path) as server:
        assert [served(http_client, server, p) for p in ("/x", "/y", "/z")] == [(200, "x"), (200, "y"), (200, "z")]


def test_several_paths_at_once(tmp_path: Path, http_client: httpx.Client) -> None:
    first = write_json(tmp_path / "first" / "a.json", stub("/a", "a"))
    write_json(tmp_path / "second" / "b.json", stub("/b", "b"))
    sources = load_sources([first, tmp_path / "second"])
    assert [len(source.stubs) for source in sources] == [1, 1]
    with MockServer(mappings=[first, tmp_path / "second"]) as server:
        assert served(http_client, server, "/a") == (200, "a")
        assert served(http_client, server, "/b") == (200, "b")


# --- formats --------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".YAML"])
def test_yaml_files(tmp_path: Path, suffix: str, http_client: httpx.Client) -> None:
    (tmp_path / f"stub{suffix}").write_text(
        "request:\n  method: GET\n  urlPath: /yaml\nresponse:\n  status: 201\n  jsonBody: {format: yaml, n: [1, 2]}\n"
    )
    with MockServer(mappings=tmp_path) as server:
        answer = http_client.get(server.url_for("/yaml"))
        assert (answer.status_code, answer.json()) == (201, {"format": "yaml", "n": [1, 2]})


def test_a_mappings_list_in_json_and_in_yaml(tmp_path: Path, http_client: httpx.Client) -> None:
    write_json(tmp_path / "list.json", {"mappings": [stub("/j1", "j1"), stub("/j2", "j2")]})
    (tmp_path / "list.yaml").write_text(
        "mappings:\n"
        "  - request: {method: GET, urlPath: /y1}\n    response: {body: y1}\n"
        "  - request: {method: GET, urlPath: /y2}\n    response: {body: y2}\n"
    )
    [source] = load_sources([tmp_path])
    assert len(source.stubs) == 4
    assert source.origins == [tmp_path / "list.json"] * 2 + [tmp_path / "list.yaml"] * 2
    with MockServer(mappings=tmp_path) as server:
        assert [served(http_client, server, p)[1] for p in ("/j1", "/j2", "/y1", "/y2")] == ["j1", "j2", "y1", "y2"]


def test_an_error_inside_a_mappings_list_names_the_index(tmp_path: Path) -> None:
    file = write_json(tmp_path / "list.json", {"mappings": [stub("/ok", "ok"), {"request": {"urlPath": "x"}}]})
    with pytest.raises(MappingError) as info:
        load_sources([tmp_path])
    assert info.value.source == str(file)
    assert info.value.field is not None
    assert info.value.field.startswith("mappings[1].request")
    assert "urlPath" in str(info.value)


# --- errors ---------------------------------------------------------------------------------------


def test_duplicate_ids_across_files_name_both_files(tmp_path: Path) -> None:
    first = write_json(tmp_path / "a.json", stub("/a", "a", id="9f2a7c55-0000-4000-8000-000000000001"))
    second = write_json(tmp_path / "sub" / "b.json", stub("/b", "b", id="9f2a7c55-0000-4000-8000-000000000001"))
    with pytest.raises(MappingError) as info:
        load_sources([tmp_path])
    message = str(info.value)
    assert str(first) in message
    assert str(second) in message
    assert "9f2a7c55-0000-4000-8000-000000000001" in message
    assert info.value.field == "id"


def test_duplicate_ids_across_paths_name_both_files(tmp_path: Path) -> None:
    first = write_json(tmp_path / "one" / "a.json", stub("/a", "a", id="same-id"))
    second = write_json(tmp_path / "two" / "b.json", stub("/b", "b", uuid="same-id"))
    with pytest.raises(MappingError) as info:
        MockServer(mappings=[tmp_path / "one", tmp_path / "two"])
    assert str(first) in str(info.value)
    assert str(second) in str(info.value)


def test_invalid_json_names_the_file_line_and_column(tmp_path: Path) -> None:
    file = tmp_path / "bad.json"
    file.write_text('{\n  "request": {"urlPath": "/x"},\n  "response": {"body": "x",}\n}\n')
    with pytest.raises(MappingError) as info:
        load_sources([tmp_path])
    message = str(info.value)
    assert info.value.source == str(file)
    assert message.startswith(str(file))
    # the column differs by Python version (3.13 points at the comma itself)
    assert re.search(r"line 3 column 2[78]", message)


def test_invalid_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    file = tmp_path / "bad.yml"
    file.write_text("request:\n  urlPath: /x\n response: oops\n")
    with pytest.raises(MappingError) as info:
        load_sources([file])
    assert info.value.source == str(file)
    assert "invalid YAML at line 3" in str(info.value)


@pytest.mark.parametrize("content", ["", "   \n\n", "\ufeff"])
def test_an_empty_file_is_an_error_naming_it(tmp_path: Path, content: str) -> None:
    file = tmp_path / "empty.json"
    file.write_text(content, encoding="utf-8")
    with pytest.raises(MappingError, match="empty") as info:
        load_sources([tmp_path])
    assert info.value.source == str(file)


def test_a_file_that_is_not_a_mapping_object(tmp_path: Path) -> None:
    file = write_json(tmp_path / "list.json", [stub("/a", "a")])
    with pytest.raises(MappingError, match="JSON object") as info:
        load_sources([file])
    assert info.value.source == str(file)


def test_a_missing_path_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="does not exist") as info:
        load_sources([tmp_path / "nowhere"])
    assert str(tmp_path / "nowhere") in str(info.value)


# --- body files -----------------------------------------------------------------------------------


def test_a_missing_body_file_is_refused_at_load_naming_the_file_and_field(tmp_path: Path) -> None:
    file = write_json(
        tmp_path / "mappings" / "f.json", {"request": {"urlPath": "/f"}, "response": {"bodyFileName": "missing.csv"}}
    )
    (tmp_path / "__files").mkdir()
    for load in (lambda: load_sources([tmp_path]), lambda: MockServer(mappings=tmp_path)):
        with pytest.raises(MappingError) as info:
            load()
        assert info.value.source == str(file)
        assert info.value.field == "response.bodyFileName"
        assert "missing.csv" in str(info.value)


def test_a_missing_body_file_in_a_mappings_list_names_its_index(tmp_path: Path) -> None:
    missing = {"request": {"urlPath": "/f"}, "response": {"bodyFileName": "nope.txt"}}
    file = write_json(tmp_path / "list.json", {"mappings": [stub("/a", "a"), missing]})
    with pytest.raises(MappingError) as info:
        load_sources([file])
    assert info.value.source == str(file)
    assert info.value.field == "mappings[1].response.bodyFileName"


@pytest.mark.parametrize("name", ["../secret.txt", "/etc/passwd", "a/../../secret.txt"])
def test_a_body_file_name_that_climbs_out_is_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    root = tmp_path / "root"
    write_json(root / "mappings" / "f.json", {"request": {"urlPath": "/f"}, "response": {"bodyFileName": name}})
    (root / "__files").mkdir()
    with pytest.raises(MappingError, match="bodyFileName"):
        MockServer(mappings=root)


def _root_with_link(tmp_path: Path, link_name: str = "link.txt") -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP SECRET")
    root = tmp_path / "root"
    write_json(root / "mappings" / "f.json", {"request": {"urlPath": "/f"}, "response": {"bodyFileName": link_name}})
    (root / "__files").mkdir()
    return root, outside


def test_a_body_file_linking_outside_the_root_is_refused(tmp_path: Path) -> None:
    root, outside = _root_with_link(tmp_path)
    (root / "__files" / "link.txt").symlink_to(outside / "secret.txt")
    with pytest.raises(MappingError, match="outside") as info:
        MockServer(mappings=root)
    assert info.value.field == "response.bodyFileName"
    assert info.value.source == str(root / "mappings" / "f.json")


def test_a_body_file_under_a_linked_folder_outside_the_root_is_refused(tmp_path: Path) -> None:
    root, outside = _root_with_link(tmp_path, "linked/secret.txt")
    (root / "__files" / "linked").symlink_to(outside, target_is_directory=True)
    with pytest.raises(MappingError, match="outside"):
        MockServer(mappings=root)


def test_a_link_inside_the_root_is_fine(tmp_path: Path, http_client: httpx.Client) -> None:
    root, _ = _root_with_link(tmp_path)
    (root / "__files" / "real.txt").write_text("inside")
    (root / "__files" / "link.txt").symlink_to(root / "__files" / "real.txt")
    with MockServer(mappings=root) as server:
        assert served(http_client, server, "/f") == (200, "inside")


def test_a_body_file_swapped_for_an_outside_link_after_loading_is_not_served(
    tmp_path: Path, http_client: httpx.Client
) -> None:
    root, outside = _root_with_link(tmp_path)
    body = root / "__files" / "link.txt"
    body.write_text("harmless")
    with MockServer(mappings=root) as server:
        assert served(http_client, server, "/f") == (200, "harmless")
        body.unlink()
        body.symlink_to(outside / "secret.txt")
        status, text = served(http_client, server, "/f")
        assert status == 500
        assert "TOP SECRET" not in text
        assert "outside" in text
        assert len(server.errors) == 1


def test_a_body_file_is_read_per_request(tmp_path: Path, http_client: httpx.Client) -> None:
    root, _ = _root_with_link(tmp_path, "live.txt")
    (root / "__files" / "live.txt").write_text("version 1")
    with MockServer(mappings=root) as server:
        assert served(http_client, server, "/f") == (200, "version 1")
        (root / "__files" / "live.txt").write_text("version 2")
        assert served(http_client, server, "/f") == (200, "version 2")


def test_reset_still_works_after_a_body_file_is_removed(tmp_path: Path, http_client: httpx.Client) -> None:
    root, _ = _root_with_link(tmp_path, "temporary.txt")
    (root / "__files" / "temporary.txt").write_text("here for now")
    with MockServer(mappings=root) as server:
        (root / "__files" / "temporary.txt").unlink()
        assert served(http_client, server, "/f")[0] == 500  # the request that needs it fails, and says why
        server.reset()
        assert len(server.stubs) == 1
