import importlib

import empathica


def test_all_is_complete_and_importable():
    public = {name for name in dir(empathica) if not name.startswith("_") and not isinstance(getattr(empathica, name), type(importlib))}
    assert public <= set(empathica.__all__), f"public names missing from __all__: {public - set(empathica.__all__)}"
    for name in empathica.__all__:
        assert hasattr(empathica, name)


def test_every_error_descends_from_the_root_and_is_drawn_in_the_docstring():
    from empathica import errors

    classes = [v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, Exception) and v.__module__ == errors.__name__]
    for cls in classes:
        assert issubclass(cls, errors.EmpathicaError)
        assert cls.__name__ in errors.__doc__, f"{cls.__name__} is not drawn in errors' docstring"
