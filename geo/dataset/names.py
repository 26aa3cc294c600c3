"""Generated Chinese names for villages, communities and people (all fictitious)."""
from __future__ import annotations

import numpy as np

_PLACE_FIRST = "东西南北新上下大小金银龙凤云海山石田林水桥塘坡岭园湖江河港湾红绿青白长永福和"
_PLACE_SECOND = "安平和兴昌盛丰福华美兰光明德仁义宁泰康乐洋头尾门岸庄沟井田溪浦埠港湾园里"
_SURNAMES = "王陈吴林李黄周邢冯云吉符张刘杨赵郑梁谢许何郭罗蔡潘韩邓曾彭唐钟"
_GIVEN = "文武明华国建志海军平东春晓秀英玉梅丽娟芳燕红霞强伟刚勇杰涛斌超亮峰琳婷雪慧敏静"


def place_names(count: int, rng: np.random.Generator, taken: set[str]) -> list[str]:
    """``count`` two-character place stems not yet in ``taken`` (which is updated)."""
    names = []
    while len(names) < count:
        stem = rng.choice(list(_PLACE_FIRST)) + rng.choice(list(_PLACE_SECOND))
        if stem not in taken:
            taken.add(stem)
            names.append(stem)
    return names


def person_names(count: int, rng: np.random.Generator) -> list[str]:
    surnames = rng.choice(list(_SURNAMES), size=count)
    lengths = rng.integers(1, 3, size=count)
    given = rng.choice(list(_GIVEN), size=(count, 2))
    return [s + "".join(g[:n]) for s, g, n in zip(surnames, given, lengths)]


def phone_numbers(count: int, rng: np.random.Generator) -> list[str]:
    """Fictitious mobile numbers (the 1xx prefixes, random subscriber digits)."""
    prefixes = rng.choice(["138", "139", "150", "158", "186", "189", "198"], size=count)
    digits = rng.integers(0, 10**8, size=count)
    return [f"{p}{d:08d}" for p, d in zip(prefixes, digits)]
