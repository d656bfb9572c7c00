# SPDX-License-Identifier: MIT
"""A function whose name is far longer than any table column, for the
truncation, details-line and horizontal-scroll tests. Ends after 120 s.

usage: longnames.py
"""
import time


class AnEnclosingClassWithQuiteALongName:
    def a_method_whose_name_is_much_too_long_for_any_column_of_the_table_abcdefghijklmnop_END(self):
        deadline = time.perf_counter() + 0.01
        while time.perf_counter() < deadline: pass


def short():
    deadline = time.perf_counter() + 0.002
    while time.perf_counter() < deadline: pass


def main():
    obj = AnEnclosingClassWithQuiteALongName()
    end = time.monotonic() + 120
    while time.monotonic() < end:
        obj.a_method_whose_name_is_much_too_long_for_any_column_of_the_table_abcdefghijklmnop_END()
        short()


if __name__ == "__main__":
    main()
