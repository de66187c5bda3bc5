"""Jupyter's own kernel conformance suite (jupyter_kernel_test), with TypeScript samples for the streamlab kernel.

The same samples are used whichever kernel runs them: plain tslab is the baseline and fails some of them on
purpose; the streamlab kernel is the target and must pass them all. Environment:

  STREAMLAB_KERNEL_TEST_EXPECT_FULL=1   test the streamlab kernel (kernelspec "streamlab") instead of "tslab".
                                        It chooses the kernel only: nothing is ever skipped either way.
  STREAMLAB_KERNEL_TEST_KERNEL=NAME     kernelspec name to test, overriding the choice above.
  STREAMLAB_KERNEL_TEST_SAMPLES=JSON    a JSON object (or a path to a JSON file) replacing samples by attribute
                                        name, e.g. {"code_page_something": "%help"}. Unknown names are an error.

Needs jupyter_kernel_test (in the project's .venv); the kernelspec is found through JUPYTER_PATH (see
test/support/jupyterEnv.ts). Run:  .venv/bin/python -m unittest -v test_kernel_protocol
"""
import json
import os
import unittest

import jupyter_kernel_test


def _kernel_name():
    explicit = os.environ.get("STREAMLAB_KERNEL_TEST_KERNEL")
    if explicit:
        return explicit
    return "streamlab" if os.environ.get("STREAMLAB_KERNEL_TEST_EXPECT_FULL") == "1" else "tslab"


# Everything a jupyter_kernel_test.KernelTests subclass can set, for TypeScript.
SAMPLES = {
    "language_name": "typescript",
    "file_extension": ".ts",
    "code_hello_world": 'console.log("hello, world")',
    "code_stderr": 'console.error("streamlab stderr sample")',
    # Matched as a set against the reply's matches.
    "completion_samples": [
        {"text": "Math.ma", "matches": ["max"]},
        {"text": "const streamlabAlpha = 1;\nstreamlabAl", "matches": ["streamlabAlpha"]},
    ],
    "complete_code_samples": [
        "1",
        'console.log("hello")',
        "const answer: number = 42;",
        "function twice(x: number): number {\n  return 2 * x;\n}",
        "for (const x of [1, 2]) {\n  console.log(x);\n}",
    ],
    "incomplete_code_samples": [
        "function twice(x: number): number {",
        "const xs = [1, 2,",
        "if (true) {\n  console.log(1);",
        "Math.max(1,",
    ],
    # Code that no continuation can repair.
    "invalid_code_samples": [
        "const = 1;",
        "1 +* 2",
        ")",
    ],
    # Help text through the pager: an execute_reply payload with source "page" (IPython's `?`).
    "code_page_something": "%help",
    # Must give status error and exactly one iopub output, of type error (no extra stderr stream).
    "code_generate_error": 'throw new Error("streamlab error sample")',
    # text/plain as Node's util.inspect writes values.
    "code_execute_result": [
        {"code": "6 * 7", "result": "42"},
        {"code": '"stream" + "lab"', "result": "'streamlab'"},
        {"code": "[1, 2, 3].map((x) => x * 2)", "result": "[ 2, 4, 6 ]"},
    ],
    # tslab's display API, which the streamlab kernel keeps working.
    "code_display_data": [
        {"code": 'import * as tslab from "tslab";\ntslab.display.html("<b>streamlab</b>")', "mime": "text/html"},
        {"code": 'import * as tslab from "tslab";\ntslab.display.markdown("**streamlab**")', "mime": "text/markdown"},
    ],
    # A glob matching exactly one distinct code of code_execute_result ("6 * 7").
    "code_history_pattern": "6*",
    "supported_history_operations": ("tail", "range", "search"),
    "code_inspect_sample": "Math.max",
    # The streamlab kernel's notebook API, imported into every cell.
    "code_clear_output": 'console.log("soon gone");\nnotebook.clear()',
}


def _samples():
    samples = dict(SAMPLES)
    raw = os.environ.get("STREAMLAB_KERNEL_TEST_SAMPLES")
    if not raw:
        return samples
    if not raw.lstrip().startswith("{"):
        with open(raw, encoding="utf-8") as f:
            raw = f.read()
    overrides = json.loads(raw)
    unknown = sorted(set(overrides) - set(SAMPLES))
    if unknown:
        raise ValueError("STREAMLAB_KERNEL_TEST_SAMPLES has unknown sample names: %s" % ", ".join(unknown))
    samples.update(overrides)
    return samples


class KernelProtocolTests(jupyter_kernel_test.KernelTests):
    kernel_name = _kernel_name()


for _name, _value in _samples().items():
    setattr(KernelProtocolTests, _name, _value)


if __name__ == "__main__":
    unittest.main()
