"""The Go-template evaluator (deploy/gotemplate.py, sprig.py, goyaml.py).

There is no helm binary here: every expected output is worked out by hand from the Go and
sprig sources and documents cited next to it:

- Go text/template: https://pkg.go.dev/text/template ("Text and spaces", "Actions",
  "Functions"; the trim-marker change go.googlesource.com/go/+/e6ee26a);
- sprig v3: github.com/Masterminds/sprig strings.go (quote, indent, nindent, trunc),
  defaults.go (default, empty, coalesce, ternary);
- Helm: pkg/engine/funcs.go (toYaml = sigs.k8s.io/yaml.Marshal minus the final newline),
  pkg/engine/engine.go (missingkey=zero, "<no value>" removed from the output, templates
  parsed deepest-first so the parent's define wins).
"""

from __future__ import annotations

import time

import pytest

from check_background_tasks.deploy.gotemplate import (
    Limits,
    TemplateError,
    TemplateSet,
    render,
    render_string,
)
from check_background_tasks.deploy.gotemplate_values import GoObject, Unknown, go_float
from check_background_tasks.deploy.goyaml import to_yaml
from check_background_tasks.deploy.sprig import semver_compare
from check_background_tasks.model import OPEN, Location


def r(text: str, dot: object = None, defines: str = "") -> str:
    return str(render_string(text, {} if dot is None else dot, defines))


# ----------------------------------------------------------------- text and actions


def test_trim_markers_remove_adjacent_white_space() -> None:
    # the example of the Go change that introduced trim markers: "{{23 -}}\n<\n{{- 45}}"
    # produces "23<45"
    assert r("{{23 -}}\n<\n{{- 45}}") == "23<45"


def test_minus_without_space_is_a_number_not_a_trim_marker() -> None:
    assert r("a {{-3}} b") == "a -3 b"


def test_trim_removes_newlines_tabs_and_spaces_only_up_to_text() -> None:
    assert r("x:\n  \t{{- 1 }}\n\n  {{- 2 -}}  \n y") == "x:12y"


def test_comments_write_nothing_and_may_trim() -> None:
    assert r("a {{/* a comment */}} b") == "a  b"
    assert r("a\n  {{- /* trimmed */ -}}\n  b") == "ab"


def test_fields_dollar_and_missing_keys() -> None:
    dot = {"Values": {"a": {"b": "deep"}}, "Top": "t"}
    assert r("{{ .Values.a.b }}", dot) == "deep"
    assert r("{{ with .Values.a }}{{ .b }}/{{ $.Top }}{{ end }}", dot) == "deep/t"
    # missingkey=zero prints "<no value>", which Helm's engine removes: nothing is written
    assert r("[{{ .Values.none }}]", dot) == "[]"
    # a missing parent is nil here (Helm fails on nil.x; we read it leniently as nil)
    assert r("[{{ .Values.none.deeper }}]", dot) == "[]"


def test_variables_declare_assign_and_scope() -> None:
    text = "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}"
    assert r(text) == "2"
    # a variable declared inside a control structure ends with it
    with pytest.raises(TemplateError):
        r("{{ if true }}{{ $y := 3 }}{{ end }}{{ $y }}")


def test_pipelines_pass_the_value_as_last_argument() -> None:
    assert r('{{ "a" | printf "%s-%s" "b" }}') == "b-a"
    assert r("{{ .x | default 5 | add 1 }}", {"x": 0}) == "6"


def test_parenthesised_pipelines_and_chains() -> None:
    assert r('{{ (dict "a" (dict "b" 7)).a.b }}') == "7"


def test_string_and_number_literals() -> None:
    assert r(r'{{ "tab\there" }}|{{ `raw\n` }}|{{ 0x10 }}|{{ 1.5 }}|{{ 1e3 }}') == (
        "tab\there|raw\\n|16|1.5|1000"
    )
    assert r("{{ 'a' }}") == "97"  # a character constant is a number


# ------------------------------------------------------------------ control structures


def test_if_else_if_else() -> None:
    text = "{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}"
    assert r(text, {"a": 1}) == "A"
    assert r(text, {"b": "x"}) == "B"
    assert r(text, {"a": 0, "b": ""}) == "C"


def test_truth_of_empty_values() -> None:
    # "The empty values are false, 0, any nil pointer or interface value, and any array,
    # slice, map, or string of length zero."
    for falsy in (False, 0, 0.0, None, "", [], {}):
        assert r("{{ if .v }}y{{ else }}n{{ end }}", {"v": falsy}) == "n"
    for truthy in (True, 1, "0", [0], {"a": 1}):
        assert r("{{ if .v }}y{{ else }}n{{ end }}", {"v": truthy}) == "y"


def test_with_sets_dot_and_else_with() -> None:
    text = "{{ with .a }}[{{ . }}]{{ else with .b }}<{{ . }}>{{ else }}none{{ end }}"
    assert r(text, {"a": "x"}) == "[x]"
    assert r(text, {"b": "y"}) == "<y>"
    assert r(text, {}) == "none"


def test_range_list_index_and_element() -> None:
    text = "{{ range $i, $v := .l }}{{ $i }}={{ $v }};{{ end }}"
    assert r(text, {"l": ["a", "b"]}) == "0=a;1=b;"
    # one variable gets the element, not the index
    assert r("{{ range $v := .l }}{{ $v }}{{ end }}", {"l": ["a", "b"]}) == "ab"


def test_range_map_visits_sorted_keys() -> None:
    # "If the value is a map and the keys are of basic type with a defined order, the
    # elements will be visited in sorted key order."
    text = "{{ range $k, $v := .m }}{{ $k }}:{{ $v }} {{ end }}"
    assert r(text, {"m": {"zeta": 1, "alpha": 2, "mid": 3}}) == "alpha:2 mid:3 zeta:1 "


def test_range_else_break_continue_and_integers() -> None:
    assert r("{{ range .l }}x{{ else }}empty{{ end }}", {"l": []}) == "empty"
    text = (
        "{{ range .l }}{{ if eq . 2 }}{{ continue }}{{ end }}"
        "{{ if eq . 4 }}{{ break }}{{ end }}{{ . }}{{ end }}"
    )
    assert r(text, {"l": [1, 2, 3, 4, 5]}) == "13"
    assert r("{{ range 3 }}{{ . }}{{ end }}") == "012"  # Go 1.22: range over an integer


def test_define_template_and_block() -> None:
    defines = '{{ define "greet" }}hi {{ .name }}{{ end }}'
    assert r('{{ template "greet" . }}!', {"name": "bo"}, defines) == "hi bo!"
    assert r('{{ block "b" . }}default {{ .name }}{{ end }}', {"name": "x"}) == "default x"


def test_later_define_of_a_name_wins() -> None:
    templates = TemplateSet()
    templates.add("sub/_h.tpl", '{{ define "n" }}sub{{ end }}', "sub/_h.tpl")
    templates.add("_h.tpl", '{{ define "n" }}parent{{ end }}', "_h.tpl")
    templates.add("t", '{{ include "n" . }}', "t.yaml")
    assert str(render(templates, "t", {})) == "parent"


def test_include_with_nindent_builds_yaml() -> None:
    defines = '{{- define "labels" -}}\napp: x\ntier: {{ .tier }}\n{{- end }}'
    text = 'metadata:\n  labels:\n    {{- include "labels" . | nindent 4 }}\n'
    assert r(text, {"tier": "web"}, defines) == "metadata:\n  labels:\n    app: x\n    tier: web\n"


def test_and_or_return_a_deciding_argument() -> None:
    # "and: Returns the boolean AND of its arguments by returning the first empty argument
    # or the last argument"; "or ... the first non-empty argument or the last argument"
    assert r('{{ and 1 "" 3 }}|{{ and 1 2 3 }}|{{ or 0 "" "x" }}|{{ or 0 "" }}') == "|3|x|"
    # evaluation stops when the result is decided: the failing call is never made
    assert r('{{ if or true (fail "never") }}ok{{ end }}') == "ok"


def test_comparisons() -> None:
    assert r('{{ eq 1 2 1 }}|{{ ne .a "x" }}|{{ lt 1 2 }}|{{ ge 2.5 2.5 }}', {"a": "y"}) == (
        "true|true|true|true"
    )
    # values numbers are float64 in Helm; a literal int compares by value here
    assert r("{{ eq .n 3 }}", {"n": 3.0}) == "true"


# ------------------------------------------------------------------ sprig and Helm


def test_default_replaces_only_empty_values() -> None:
    # sprig defaults.go dfault: "For numeric types 0 is unset. For strings, maps, arrays,
    # and slices, len() = 0 is considered unset. For bool, false is unset."
    for empty in ('""', "0", "false", "(list)", "(dict)", "nil"):
        assert r(f'{{{{ default "d" {empty} }}}}') == "d"
    assert r('{{ default "d" "given" }}|{{ .x | default "d" }}', {"x": "v"}) == "given|v"


def test_quote_skips_nil() -> None:
    # sprig strings.go quote: nil arguments are skipped, so nothing is written
    assert r('[{{ .none | quote }}]|{{ 3 | quote }}|{{ squote "a" }}') == "[]|\"3\"|'a'"


def test_indent_and_nindent_pad_every_line() -> None:
    # sprig: indent = pad + replace("\n", "\n"+pad); nindent = "\n" + indent
    assert r('{{ "a\\nb" | indent 2 }}') == "  a\n  b"
    assert r('{{ "a\\nb" | nindent 2 }}') == "\n  a\n  b"


def test_string_functions() -> None:
    text = (
        '{{ trunc 3 "abcdef" }}|{{ trunc -2 "abcdef" }}|{{ trimSuffix "-" "a-" }}|'
        '{{ "x-y" | replace "-" "_" | upper }}|{{ title "hello world" }}|'
        '{{ contains "b" "abc" }}|{{ hasPrefix "a" "abc" }}|{{ join "," (list "a" 1) }}|'
        '{{ splitList "," "a,b" | last }}|{{ (split "/" "p/q")._1 }}|{{ trim "  s  " }}'
    )
    assert r(text) == "abc|ef|a|X_Y|Hello World|true|true|a,1|b|q|s"


def test_printf_verbs_as_go_prints_them() -> None:
    assert r('{{ printf "%s/%d/%v/%q/%05.1f/%x" "s" 7 true "q" 3.14159 255 }}') == (
        's/7/true/"q"/003.1/ff'
    )
    # a values number is a float64: %d does not take it (Go prints the error in place)
    assert r('{{ printf "%d" .n }}', {"n": 3.0}) == "%!d(float64=3)"


def test_values_numbers_print_as_go_floats() -> None:
    # helm/helm#6431: "1234567 will be converted into 1.234567e+06"
    assert r(
        "{{ .a }}|{{ .b }}|{{ .c }}|{{ .d }}", {"a": 1234567.0, "b": 3.0, "c": 0.5, "d": 1e5}
    ) == ("1.234567e+06|3|0.5|100000")
    assert go_float(1e6) == "1e+06"
    assert go_float(1e-5) == "1e-05"


def test_arithmetic_and_conversions() -> None:
    text = (
        "{{ add 1 2 3 }}|{{ sub 5 2 }}|{{ mul 2 3 }}|{{ div 7 2 }}|{{ mod 7 2 }}|"
        '{{ max 1 5 }}|{{ int "42" }}|{{ int .f }}'
    )
    assert r(text, {"f": 3.9}) == "6|3|6|3|1|5|42|3"


def test_dict_list_functions() -> None:
    text = (
        '{{ $d := dict "a" 1 "b" 2 }}{{ $_ := set $d "c" 3 }}{{ keys $d | join "," }}|'
        '{{ hasKey $d "a" }}|{{ get $d "zz" }}|{{ pluck "a" $d (dict "a" 9) | join "," }}|'
        '{{ (merge (dict "a" 1) (dict "a" 2 "b" 3)).b }}|'
        '{{ (mergeOverwrite (dict "a" 1) (dict "a" 2)).a }}|'
        "{{ list 1 2 | first }}|{{ append (list 1) 2 | len }}|{{ has 2 (list 1 2) }}|"
        '{{ concat (list 1) (list 2 3) | len }}|{{ index (list "x" "y") 1 }}|{{ index .m "k" }}|'
        '{{ kindIs "map" $d }}|{{ typeOf 1.5 }}|{{ empty (list) }}|{{ coalesce "" 0 "z" }}|'
        '{{ ternary "y" "n" false }}'
    )
    assert r(text, {"m": {"k": "v"}}) == "a,b,c|true||1,9|3|2|1|2|true|3|y|v|true|float64|true|z|n"


def test_to_yaml_sorts_keys_and_does_not_indent_sequences() -> None:
    value = {"b": [{"y": 1, "x": "true"}, "s"], "a": {"n": 1.0, "e": "", "z": None}}
    # sigs.k8s.io/yaml: through JSON, so keys sorted, whole numbers without fraction;
    # go-yaml v2 writes `- ` at the key's column; Helm trims the final newline
    assert str(to_yaml(value)) == (
        'a:\n  e: ""\n  "n": 1\n  z: null\nb:\n- x: "true"\n  "y": 1\n- s'
    )


def test_to_yaml_of_scalars_and_empties() -> None:
    assert r("{{ toYaml .a }}|{{ toYaml .b }}|{{ toYaml .c }}", {"a": {}, "b": [], "c": "x"}) == (
        "{}|[]|x"
    )


def test_to_json_and_from_yaml() -> None:
    assert (
        r("{{ toJson .v }}", {"v": {"b": [1.0, "<"], "a": True}}) == '{"a":true,"b":[1,"\\u003c"]}'
    )
    assert r('{{ (fromYaml "a: {b: 2}").a.b }}') == "2"
    assert r('{{ (fromYaml ": bad").Error | empty }}') == "false"


def test_tpl_renders_a_string_with_a_context() -> None:
    dot = {"Values": {"name": "x", "greeting": "hi {{ .Values.name }}"}}
    assert r("{{ tpl .Values.greeting . }}", dot) == "hi x"


def test_semver_compare() -> None:
    assert semver_compare(">=1.21-0", "v1.30.0")
    assert not semver_compare("<1.19", "v1.30.0")
    assert semver_compare("~1.30", "v1.30.4")
    assert semver_compare("^1.2", "v1.30.0")
    assert semver_compare(">=1.8, <2", "1.30.0")
    assert semver_compare("<1.0 || >=1.25", "1.30.0")
    assert semver_compare("1.29 - 1.31", "1.30.0")


def test_go_objects_fields_and_methods() -> None:
    caps = GoObject(
        "c",
        {"KubeVersion": GoObject("k", {"Minor": "30"}, text="v1.30.0")},
        {"Has": lambda v: v == "apps/v1"},
    )
    dot = {"Capabilities": caps}
    text = (
        "{{ .Capabilities.KubeVersion }}/{{ .Capabilities.KubeVersion.Minor }}/"
        '{{ .Capabilities.Has "apps/v1" }}'
    )
    assert r(text, dot) == "v1.30.0/30/true"


# ------------------------------------------------------------------------- unknowns


def release() -> dict[str, object]:
    return {"Release": {"Name": Unknown(".Release.Name")}, "Values": {}}


def test_printing_an_unknown_writes_an_action() -> None:
    assert r("name: {{ .Release.Name }}-job", release()) == "name: {{ .Release.Name }}-job"
    # a string built from an unknown keeps its known part readable
    assert r('name: {{ printf "%s-x" .Release.Name | trunc 63 }}', release()) == (
        "name: {{ .Release.Name }}-x"
    )
    # ... and a comparison with it is unknown: both branches can deploy
    text = '{{ if eq (printf "%s-x" .Release.Name) "a-x" }}A{{ else }}BB{{ end }}'
    assert r(text, release()) == "BB"


def test_unknown_under_nindent_lands_on_its_own_line() -> None:
    text = "resources:\n  {{- toYaml .Values.resources | nindent 2 }}"
    dot = {"Values": {OPEN: True}}
    assert r(text, dot) == "resources:\n  {{ .Values.resources }}"


def test_unknown_condition_renders_the_branch_that_writes_more() -> None:
    dot = {"Values": {OPEN: True}}
    text = "{{ if .Values.cron.enabled }}kind: CronJob\nspec: {}{{ end }}"
    assert r(text, dot) == "kind: CronJob\nspec: {}"
    text = "{{ if .Values.off }}x{{ else }}kind: CronJob{{ end }}"
    assert r(text, dot) == "kind: CronJob"


def test_range_over_unknown_renders_once_with_unknown_elements() -> None:
    dot = {"Values": {OPEN: True}}
    assert r("{{ range .Values.jobs }}- name: {{ .name }}\n{{ end }}", dot) == (
        "- name: {{ .Values.jobs.name }}\n"
    )


def test_unknown_propagates_through_functions() -> None:
    dot = release()
    assert r("{{ .Release.Name | b64enc | quote }}", dot) == "{{ .Release.Name | b64enc | quote }}"
    assert r('{{ default "x" .Release.Name }}', dot) == "{{ .Release.Name }}"
    assert r('{{ if eq .Release.Name "a" }}A{{ end }}', dot) == "A"
    # a known deciding argument wins over an unknown one
    assert r("{{ and .Release.Name false }}", dot) == "false"


def test_required_of_a_missing_value_is_unknown_not_an_error() -> None:
    assert r('{{ required "set image.tag" .Values.image }}', {"Values": {}}) == (
        "{{ required: set image.tag }}"
    )


def test_functions_known_only_at_deploy_time_are_unknown() -> None:
    assert r('{{ now }}|{{ randAlphaNum 5 }}|{{ lookup "v1" "Secret" "ns" "x" }}') == (
        '{{ now }}|{{ randAlphaNum 5 }}|{{ lookup "v1" "Secret" "ns" "x" }}'
    )


# ------------------------------------------------------------------------ provenance


def test_lines_remember_the_template_line_that_wrote_them() -> None:
    defines = '{{- define "c" }}\n- name: job\n  image: x\n{{- end }}'
    text = 'containers:\n{{- include "c" . | indent 2 }}\n'
    out = render_string(text, {}, defines, file="t.yaml")
    # the define's body starts with a newline, indented too: two trailing spaces
    assert str(out) == "containers:  \n  - name: job\n    image: x\n"
    assert out.lines[0].loc == Location("t.yaml", 1, 1)
    assert out.lines[1].loc == Location("_helpers.tpl", 2, 1)  # `- name: job`
    assert out.lines[1].anchor == 2  # ... now at output column 2
    assert out.lines[2].at(4) == Location("_helpers.tpl", 3, 3)  # `image`


def test_to_yaml_lines_and_range_elements_point_at_values_entries() -> None:
    jobs = [{"name": "a"}, {"name": "b"}]
    resources = {"limits": {"cpu": "1"}}
    locs = dict(
        [
            ((id(jobs), 0), Location("values.yaml", 3, 5)),
            ((id(jobs), 1), Location("values.yaml", 4, 5)),
            ((id(resources), "limits"), Location("values.yaml", 8, 3)),
        ]
    )
    text = "{{ range .jobs }}- {{ .name }}\n{{ end }}r:\n  {{- toYaml .res | nindent 2 }}"
    out = render_string(
        text, {"jobs": jobs, "res": resources}, loc_of=lambda c, k: locs.get((id(c), k))
    )
    assert str(out) == '- a\n- b\nr:\n  limits:\n    cpu: "1"'
    assert out.lines[0].origin == Location("values.yaml", 3, 5)
    assert out.lines[1].origin == Location("values.yaml", 4, 5)
    assert out.lines[2].origin is None
    assert out.lines[3].loc == Location("values.yaml", 8, 3)


# ------------------------------------------------------------------------- hostility


def test_endless_recursion_is_a_template_error() -> None:
    with pytest.raises(TemplateError):
        r('{{ include "loop" . }}', {}, '{{ define "loop" }}{{ include "loop" . }}{{ end }}')


def test_huge_loops_end_within_the_budget() -> None:
    started = time.monotonic()
    with pytest.raises(TemplateError):
        render_string(
            "{{ range until 100000 }}{{ range until 100000 }}x{{ end }}{{ end }}",
            {},
            limits=Limits(max_steps=200_000),
        )
    with pytest.raises(TemplateError):
        render_string(
            '{{ range until 50000 }}{{ repeat 1000 "x" }}{{ end }}',
            {},
            limits=Limits(max_output=1 << 20),
        )
    assert time.monotonic() - started < 10


def test_syntax_errors_are_template_errors() -> None:
    for bad in (
        "{{ if .a }}",
        "{{ end }}",
        "{{ .a",
        '{{ "open }}',
        "{{ (((( }}",
        "{{ else }}",
        "{{ break }}",
    ):
        with pytest.raises(TemplateError):
            r(bad)
    with pytest.raises(TemplateError):
        r("{{" + "(" * 500 + "1" + ")" * 500 + "}}")


def test_backtracking_regex_is_not_run() -> None:
    started = time.monotonic()
    assert (
        r('{{ regexMatch "(a+)+$" .s }}', {"s": "a" * 40 + "b"}) == '{{ regexMatch "(a+)+$" .s }}'
    )
    assert time.monotonic() - started < 1
    assert r('{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}') == "-W-xxW-"


def test_include_of_a_template_file_and_of_a_template_not_scanned() -> None:
    # Helm names each file (chart/templates/configmap.yaml): `include (print
    # $.Template.BasePath "/configmap.yaml") .` renders that file, for a checksum
    templates = TemplateSet()
    templates.add("c/templates/configmap.yaml", "data: {{ .x }}", "configmap.yaml")
    templates.add(
        "c/templates/deploy.yaml",
        'sum: {{ include (print "c/templates" "/configmap.yaml") . }}\n'
        'name: {{ include "common.names.fullname" . }}',
        "deploy.yaml",
    )
    out = str(render(templates, "c/templates/deploy.yaml", {"x": 1}))
    # a define from a chart repository's library chart is not here: unknown, not an error
    assert out == 'sum: data: 1\nname: {{ include "common.names.fullname" }}'


def test_functions_looking_into_an_unknown_map_or_list_are_unknown() -> None:
    # `lookup` (a cluster read) is unknown here; Helm charts then test what it found
    text = (
        '{{ $s := (lookup "v1" "Secret" "ns" "x").data }}'
        '{{ if and $s (hasKey $s "k") }}{{ index $s "k" }}{{ else }}generated{{ end }}'
    )
    assert r(text) == '{{ index $s "k" }}'
    assert r('{{ get .u "a" }}|{{ first .u }}|{{ keys .u }}', {"u": Unknown(".u")}) == (
        '{{ get .u "a" }}|{{ first .u }}|{{ keys .u }}'
    )
