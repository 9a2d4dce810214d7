"""Assertions for notebook test cells.

Every test cell of the course compares a student's answer through this module.
Each check first converts the answer to plain Python numbers or a fresh float64
array, so an object that overrides ``==`` or ``__bool__`` cannot pass for a
right answer, and then fails with a message written for the student: what was
expected, what came, and, where the test knows it, the likely mistake.

Failures raise :class:`GradingError`, a subclass of ``AssertionError``, so a
failing test cell shows one readable line in the notebook (IPython draws the
error through ``GradingError._render_traceback_``, without the frames of this
module) and nbgrader scores it as failed. Test cells call the student's code
through :func:`call`, so an error raised inside it, or an unfinished stub,
becomes such a sentence too.
"""

from __future__ import annotations

import inspect
import linecache
import numbers
import re
import traceback
import warnings
from collections.abc import Callable, Mapping

import numpy as np

__all__ = [
    "GradingError",
    "call",
    "call_many",
    "check",
    "unpack",
    "attribute",
    "not_done_message",
    "to_float_array",
    "to_int",
    "assert_shape",
    "assert_close",
    "assert_equal",
    "assert_raises",
    "assert_unchanged",
    "assert_choice",
]

# Private references taken at import time: a notebook that later rebinds
# ``np.allclose`` and friends does not change how this module compares.
_asarray = np.asarray
_array = np.array
_isfinite = np.isfinite
_abs = np.abs
_float64 = np.float64


class GradingError(AssertionError):
    """A test-cell failure with a message meant for the student.

    IPython shows an exception through its ``_render_traceback_`` when it has
    one: the student sees the sentence alone, in JupyterLab and in the
    executed notebook that feedback pages are made from, instead of a long
    traceback through this module.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31mGradingError\x1b[0m: {self}"]


def _fail(message: str) -> None:
    # ``from None``: the student sees our sentence, not a chain of internals.
    raise GradingError(message) from None


def not_done_message(name: str) -> str:
    """What a test says about an exercise whose stub still raises ``NotImplementedError``."""
    return (f"{name} is not done yet: replace the line `raise NotImplementedError()` in its "
            "cell with your code, run that cell, then run this test again.")


def _callable_name(function) -> str:
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", None)
    if not isinstance(name, str):  # a callable object: its class names it
        name = getattr(type(function), "__qualname__", None)
    if not isinstance(name, str):
        return "your function"
    return name.rsplit("<locals>.", 1)[-1]


def _describe(value) -> str:
    """A short description of an argument: arrays by shape, small values by repr."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}" if value.ndim else f"{value.item()!r}"
    if isinstance(value, (bool, numbers.Number, str)) or value is None:
        return _short_repr(value)
    if isinstance(value, (list, tuple)):
        kind = type(value).__name__
        if value and all(isinstance(v, np.ndarray) for v in value):
            return f"a {kind} of {len(value)} arrays"
        return _short_repr(value) if len(repr(value)) <= 40 else f"a {kind} of {len(value)} items"
    if isinstance(value, dict):
        return f"a dict of {len(value)} entries"
    return f"a {type(value).__name__}"


def describe_call(function, args: tuple = (), kwargs: Mapping | None = None) -> str:
    """``name(x of shape (2, 3), stride=1)``: how a message names one call of a student's code."""
    kwargs = dict(kwargs or {})
    parts = []
    try:
        bound = inspect.signature(function).bind(*args, **kwargs)
        names = list(bound.arguments)
        for name in names:
            value = bound.arguments[name]
            kind = inspect.signature(function).parameters[name].kind
            if kind is inspect.Parameter.VAR_POSITIONAL:
                parts.extend(_describe(v) for v in value)
            elif kind is inspect.Parameter.VAR_KEYWORD:
                parts.extend(f"{k}={_describe(v)}" for k, v in value.items())
            else:
                parts.append(f"{name}={_describe(value)}")
    except (TypeError, ValueError):  # no signature, or arguments it does not accept
        parts = [_describe(v) for v in args] + [f"{k}={_describe(v)}" for k, v in kwargs.items()]
    text = ", ".join(parts)
    return f"{_callable_name(function)}({text})"


def _where(error: BaseException) -> str:
    """The last line of the student's own code the error passed through, if it can be read."""
    reported = getattr(error, "student_line", None)  # an error from the student's kernel
    if isinstance(reported, str):
        return f" at the line `{reported}`" if reported else ""
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        filename = frame.filename or ""
        if "site-packages" in filename or filename == __file__ or "/numpy/" in filename:
            continue
        line = (frame.line or linecache.getline(filename, frame.lineno or 0)).strip()
        if line:
            return f" at the line `{line}`"
        return ""
    return ""


def call(function: Callable, *args, hint: str | None = None, **kwargs):
    """Call a student's function (or class, or method) and return what it returns.

    An exception raised inside it becomes a :class:`GradingError` sentence that
    says which call failed, with which argument shapes, where and why, followed
    by ``hint``; an unfinished stub says it is not done yet. Warnings the call
    emits are printed to stdout as notes (a test cell must not write to stderr).

    Examples
    --------
    >>> def f(x):
    ...     return x @ x
    >>> call(f, np.ones((2, 3)), hint="Check the shapes.")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: f(x=an array of shape (2, 3)) raised ValueError ...
    """
    name = _callable_name(function)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = function(*args, **kwargs)
    except GradingError:
        raise
    except NotImplementedError:
        _fail(not_done_message(name))
    except Exception as error:  # noqa: BLE001 (reported to the student as one sentence)
        tip = f" {hint}" if hint else ""
        detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
        reason = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        _fail(f"{describe_call(function, args, kwargs)} raised {reason}{_where(error)}.{tip}")
    for warning in caught:
        # A ResourceWarning comes from the garbage collector, whichever thread it
        # runs in, not from the student's arithmetic.
        if not issubclass(warning.category, ResourceWarning):
            print(f"note: {name} warned: {warning.category.__name__}: {warning.message}")
    return result


def unpack(value, names, name: str = "your function") -> tuple:
    """Check that a student's function returned a tuple of ``names`` values; return it.

    ``names`` is a sequence of the values' names (``("dx", "dW", "db")``) or
    their count. Unpacking a wrong number of values would otherwise fail with
    Python's ``ValueError`` instead of a sentence.
    """
    count = names if isinstance(names, int) else len(names)
    listed = "" if isinstance(names, int) else f" ({', '.join(names)})"
    if not isinstance(value, (tuple, list)):
        if value is None:
            _fail(f"{name} returned None: return the {count} values{listed} as a tuple.")
        _fail(f"{name} should return {count} values{listed}, got a {type(value).__name__}.")
    if len(value) != count:
        _fail(f"{name} should return {count} values{listed}, got {len(value)}.")
    return tuple(value)


def attribute(obj, name: str, owner: str = "your object"):
    """``obj.name``, or a sentence saying that ``owner`` has no attribute ``name``.

    Reading an attribute runs the student's code when it is a property, so an
    error raised there becomes a sentence too.
    """
    try:
        return getattr(obj, name)
    except AttributeError:
        _fail(f"{owner} has no attribute {name}: set self.{name} in __init__.")
    except NotImplementedError:
        _fail(not_done_message(owner))
    except Exception as error:  # noqa: BLE001 (reported to the student as one sentence)
        _fail(f"reading {owner}.{name} raised {type(error).__name__}: {error}.")


def call_many(function: Callable, calls, hint: str | None = None) -> list:
    """``[function(*args) for args in calls]``, with :func:`call`'s sentences on failure.

    ``calls`` is a sequence of argument tuples. Under the grader's judge, where
    ``function`` lives in the student's kernel, all the calls travel in one
    round trip (the function's class then offers ``__call_many__``); use it
    for long lists of small calls whose arguments the function does not modify.
    """
    calls = [tuple(args) for args in calls]
    many = getattr(type(function), "__call_many__", None)
    if many is None:
        return [call(function, *args, hint=hint) for args in calls]
    try:
        results = many(function, calls)
    except GradingError:
        raise
    except NotImplementedError:
        _fail(not_done_message(_callable_name(function)))
    except Exception as error:  # noqa: BLE001 (reported to the student as one sentence)
        index = getattr(error, "call_index", 0)
        args = calls[index] if 0 <= index < len(calls) else ()
        tip = f" {hint}" if hint else ""
        detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
        reason = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        _fail(f"{describe_call(function, args)} raised {reason}{_where(error)}.{tip}")
    return list(results)


def check(condition, message: str) -> None:
    """Fail with ``message`` unless ``condition`` is a true ``bool``.

    Only real booleans count: an object that claims to be true is not enough.
    """
    if not (isinstance(condition, (bool, np.bool_)) and bool(condition)):
        _fail(message)


def _fmt(array: np.ndarray, max_items: int = 24) -> str:
    """A compact, readable rendering of a small array (or its summary)."""
    if array.ndim == 0:
        return f"{float(array):.6g}"
    if array.size <= max_items:
        text = np.array2string(array, precision=4, suppress_small=True, separator=", ")
        return re.sub(r"\s+", " ", text)
    return f"an array of shape {array.shape} (min {array.min():.4g}, max {array.max():.4g})"


def to_float_array(value, name: str = "your answer") -> np.ndarray:
    """Convert a student's value to a new float64 ndarray, or fail clearly.

    Parameters
    ----------
    value : array_like
        Whatever the student's code returned.
    name : str
        How to call the value in a message, e.g. ``"conv2d_naive(x, w, b)"``.

    Returns
    -------
    ndarray of float64
        A fresh base-class array: subclasses and their overridden operators
        are dropped.
    """
    if value is None:
        _fail(f"{name} returned None: did you forget a `return` statement?")
    if isinstance(value, (str, bytes)):
        _fail(f"{name} should be numbers, got the text {value!r}.")
    try:
        array = _array(value, dtype=_float64, copy=True, subok=False)
    except (TypeError, ValueError) as error:
        kind = type(value).__name__
        _fail(f"{name} should be an array of numbers, got a {kind} that cannot be "
              f"converted to floats ({error}).")
    if array.dtype != _float64 or type(array) is not np.ndarray:  # pragma: no cover
        _fail(f"{name} could not be converted to a plain float array.")
    return array


def to_int(value, name: str = "your answer") -> int:
    """Convert a student's value to a plain ``int``; floats and bools are refused.

    A float is refused even when it is whole (``54.0``): sizes are used as
    array shapes later, where a float is an error. Use ``//`` or ``int()``.
    """
    if isinstance(value, bool) or isinstance(value, np.bool_):
        _fail(f"{name} should be an int, got the boolean {value}.")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        whole = float(value).is_integer()
        tip = " Use // (floor division) or int(...) so the result is an int." if whole else ""
        _fail(f"{name} should be an int, got the {type(value).__name__} {value!r}.{tip}")
    if value is None:
        _fail(f"{name} returned None: did you forget a `return` statement?")
    _fail(f"{name} should be an int, got a {type(value).__name__}.")


def assert_shape(value, shape: tuple[int, ...], name: str = "your answer",
                 hint: str | None = None) -> np.ndarray:
    """Check that ``value`` has ``shape``; return it as a float64 array."""
    array = to_float_array(value, name)
    expected = tuple(int(n) for n in shape)
    if array.shape != expected:
        message = f"{name} has shape {array.shape}, expected {expected}."
        if hint:
            message += f" {hint}"
        _fail(message)
    return array


def _matches(array: np.ndarray, other, rtol: float, atol: float) -> bool:
    other = _asarray(other, dtype=_float64)
    if other.shape != array.shape:
        return False
    return bool(np.all(_abs(array - other) <= atol + rtol * _abs(other)))


def _mistake(array, mistakes: Mapping[str, object] | None, rtol: float, atol: float) -> str:
    for label, wrong in (mistakes or {}).items():
        if _matches(array, wrong, rtol, atol):
            return f" Your result matches a known mistake: {label}."
    return ""


def assert_close(value, expected, name: str = "your answer", *, rtol: float = 1e-6,
                 atol: float = 1e-8, mistakes: Mapping[str, object] | None = None,
                 hint: str | None = None) -> np.ndarray:
    """Check that ``value`` equals ``expected`` up to floating-point tolerance.

    Parameters
    ----------
    value : array_like
        The student's answer; converted with :func:`to_float_array` first.
    expected : array_like
        The right answer.
    name : str
        How to call the value in a message.
    rtol, atol : float
        Passes when ``|value - expected| <= atol + rtol * |expected|`` everywhere.
    mistakes : mapping of str to array_like, optional
        Known wrong answers: when the student's value matches one, the message
        names that mistake.
    hint : str, optional
        A sentence added to any failure message.

    Returns
    -------
    ndarray of float64
        The student's value as a plain array.
    """
    array = to_float_array(value, name)
    target = _asarray(expected, dtype=_float64)
    tip = f" {hint}" if hint else ""
    if array.shape != target.shape:
        _fail(f"{name} has shape {array.shape}, expected {target.shape}."
              f"{_mistake(array, mistakes, rtol, atol)}{tip}")
    if not bool(np.all(_isfinite(array))):
        _fail(f"{name} contains NaN or infinity: {_fmt(array)}.{tip}")
    error = _abs(array - target)
    bound = atol + rtol * _abs(target)
    if bool(np.all(error <= bound)):
        return array
    _fail(f"{name} is wrong: {_difference(array, target, error, bound)}."
          f"{_mistake(array, mistakes, rtol, atol)}{tip}")


def _difference(array: np.ndarray, target: np.ndarray, error: np.ndarray,
                bound: np.ndarray, max_items: int = 24) -> str:
    """Expected against got: whole arrays when small, else the entries that differ."""
    if array.ndim == 0:
        return f"expected {_fmt(target)}, got {_fmt(array)}"
    wrong = error > bound
    worst = np.unravel_index(int(np.argmax(error - bound)), error.shape)
    where = tuple(int(i) for i in worst)
    if array.size <= max_items:
        return (f"expected {_fmt(target)}, got {_fmt(array)} (largest difference "
                f"{float(error.max()):.3g} at index {where})")
    count = int(wrong.sum())
    first = [tuple(int(i) for i in index) for index in np.argwhere(wrong)[:3]]
    listed = "; ".join(f"at {index} expected {float(target[index]):.6g}, got "
                       f"{float(array[index]):.6g}" for index in first)
    more = ", ..." if count > len(first) else ""
    return (f"{count} of its {array.size} entries (shape {array.shape}) differ from the "
            f"expected values: {listed}{more}; the largest difference is "
            f"{float(error.max()):.3g}, at index {where}")


def assert_equal(value, expected: int, name: str = "your answer", *,
                 mistakes: Mapping[str, int] | None = None, hint: str | None = None) -> int:
    """Check that an integer answer equals ``expected`` exactly.

    ``mistakes`` maps a description to the value that mistake produces.
    """
    got = to_int(value, name)
    want = int(expected)
    if got != want:
        known = ""
        for label, wrong in (mistakes or {}).items():
            if int(wrong) == got:
                known = f" Your result matches a known mistake: {label}."
                break
        tip = f" {hint}" if hint else ""
        _fail(f"{name} is wrong: expected {want}, got {got}.{known}{tip}")
    return got


def assert_raises(exception: type[BaseException], function: Callable, *args,
                  name: str | None = None, match: str | None = None,
                  hint: str | None = None, **kwargs) -> BaseException:
    """Check that ``function(*args, **kwargs)`` raises ``exception``.

    ``match`` is a regular expression the error message must contain (searched
    case-insensitively), so a test can ask that the message names the problem.
    """
    call = name or f"{getattr(function, '__name__', 'the function')}(...)"
    tip = f" {hint}" if hint else ""
    try:
        result = function(*args, **kwargs)
    except NotImplementedError:
        if exception is not NotImplementedError:
            _fail(not_done_message(_callable_name(function)))
        raise
    except GradingError:
        raise
    except exception as error:
        if match is not None and not re.search(match, str(error), flags=re.IGNORECASE):
            _fail(f"{call} raised {exception.__name__} as it should, but its message "
                  f"{str(error)!r} does not say what is wrong (expected it to mention "
                  f"{match!r}).{tip}")
        return error
    except Exception as error:  # noqa: BLE001 (reported to the student, not swallowed)
        _fail(f"{call} raised {type(error).__name__}({error}){_where(error)}, expected "
              f"{exception.__name__}.{tip}")
    _fail(f"{call} should raise {exception.__name__}, but it returned "
          f"{_short_repr(result)}.{tip}")


def _short_repr(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def assert_unchanged(before, after, name: str = "the input", hint: str | None = None) -> None:
    """Check that a function left its input array as it found it.

    ``hint`` says what in this exercise tends to write into an input; without
    it the message names the usual culprits.
    """
    old = to_float_array(before, name)
    new = to_float_array(after, name)
    if old.shape != new.shape or not bool(np.all((old == new) | (np.isnan(old) & np.isnan(new)))):
        tip = hint or ("an in-place operation such as `+=`, `*=` or an assignment into a slice "
                       "of an argument changes the caller's array: compute a new array instead")
        _fail(f"your function modified {name} in place; {tip}.")


def assert_choice(value, options: str, name: str = "your answer", right: str | None = None) -> str:
    """Check a multiple-choice answer: one letter among ``options``.

    Returns the letter in lower case. The visible test checks only the form;
    a hidden test passes ``right`` to check the letter itself.
    """
    allowed = [o.lower() for o in options]
    listed = ", ".join(repr(o) for o in allowed)
    if value is None:
        _fail(f"{name} is not answered yet: set it to one of {listed} in the cell above and "
              "run that cell.")
    if not isinstance(value, str):
        _fail(f"{name} should be one letter in quotes, such as 'a'; got {_short_repr(value)}.")
    letter = str(value).strip().lower()
    if letter not in allowed:
        _fail(f"{name} should be one of {listed}; got {value!r}.")
    if right is not None and letter != right.lower():
        _fail(f"{name} is not the right answer.")
    return letter
