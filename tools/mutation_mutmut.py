"""`mutmut` for `make mutation`, with a faster way to match mypy's errors to mutants.

mutmut (3.8) finds the mutant behind each mypy error by parsing the mutated copy of the file with
libcst and its position metadata. The engine's mutated deadlines.py is several megabytes, and that
step alone took over ten minutes here. The standard library's `ast` gives the same function spans
(start and end lines) in seconds, so this runs mutmut's own command line with that one step replaced;
the result (which mutants mypy rejects) is the same.

    .venv/bin/python -m tools.mutation_mutmut run --max-children 4
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import mutmut.__main__ as mutmut_main
from mutmut.configuration import config
from mutmut.mutation.file_mutation import FailedTypeCheckMutant, MutatedMethodLocation, group_by_path
from mutmut.type_checking import run_type_checker
from mutmut.utils.file_utils import change_cwd
from mutmut.utils.format_utils import get_mutant_name, is_mutated_method_name


def mutated_methods(path: Path) -> list[MutatedMethodLocation]:
    """The mutated copies of functions in one file of mutmut's copy, with their first and last lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_mutated_method_name(node.name):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found.append(MutatedMethodLocation(path, node.name, start, node.end_lineno or node.lineno))
    return found


def filter_mutants_with_type_checker() -> dict[str, FailedTypeCheckMutant]:
    """mutmut.mutation.file_mutation.filter_mutants_with_type_checker, with `ast` in place of libcst."""
    with change_cwd(Path("mutants")):
        errors = run_type_checker(config().type_check_command)
        rejected: dict[str, FailedTypeCheckMutant] = {}
        for path, errors_of_file in group_by_path(errors).items():
            methods = mutated_methods(path)
            if not methods:
                continue
            for error in errors_of_file:
                method = next(
                    (m for m in methods if m.line_number_start <= error.line_number <= m.line_number_end), None
                )
                if method is None:
                    raise RuntimeError(
                        f"mypy reports {error.file_path}:{error.line_number} ({error.error_description}) outside "
                        "any mutant: the unmutated code must type-check."
                    )
                name = get_mutant_name(path.relative_to(Path(".").absolute()), method.function_name)
                rejected[name] = FailedTypeCheckMutant(method_location=method, name=name, error=error)
        return rejected


if __name__ == "__main__":
    mutmut_main.filter_mutants_with_type_checker = filter_mutants_with_type_checker
    sys.exit(mutmut_main.cli())
