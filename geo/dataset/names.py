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


# What generated cases are about, by category: short descriptions as a dispatcher writes them,
# each marked as simulated (the cases are generated; see DESIGN.md).
_DISPUTES = {
    "marriage_family": ("夫妻因家庭开支发生争吵，一方要求调解", "兄弟因赡养老人费用分担产生纠纷", "离婚后子女探望时间协商不成"),
    "neighbourhood": ("两户因围墙界线发生争执", "楼上漏水致楼下房屋受损，双方协商未果", "邻居夜间噪音扰民引发矛盾"),
    "housing_homestead": ("宅基地边界不清，两户互不相让", "房屋租赁到期后押金退还产生争议", "自建房占用公共通道引发邻里纠纷"),
    "contract": ("装修合同工期延误，业主拒付尾款", "农资买卖货款拖欠", "借款到期未还，出借人要求调解"),
    "business_operation": ("商铺租金上涨，承租户与业主协商不成", "合伙经营槟榔收购点分红争议"),
    "damages": ("电动车碰撞致行人受伤，赔偿数额有争议", "家养犬只咬伤路人，双方协商赔偿"),
    "forest_land": ("橡胶林地承包边界争议", "椰子林权属不清，两村村民争执"),
    "land_acquisition_demolition": ("征地补偿款分配有异议", "拆迁安置面积认定产生争议"),
    "environmental_pollution": ("养殖场异味影响周边住户", "餐饮店油烟扰民"),
    "labour": ("工地务工人员工资被拖欠", "员工离职后经济补偿金争议"),
    "consumer": ("网购商品质量问题，商家拒绝退货", "预付卡商家停业，消费者要求退款"),
    "medical": ("患者家属对诊疗结果有异议", "医疗费用结算产生纠纷"),
    "road_traffic_accident": ("两车刮擦，责任划分有争议", "电动车与小汽车相撞，赔偿协商不成"),
    "property_management": ("业主以服务差为由拒交物业费", "小区停车位收费标准引发业主不满"),
    "other": ("村民对集体收益分配有意见", "共用水井使用产生矛盾"),
    "public_safety": ("夜间路口有人聚集斗殴，群众报警", "独居老人走失，家属求助", "疑似电信诈骗，群众报告"),
}
SIMULATED = "（模拟）"


def descriptions(categories: np.ndarray, rng: np.random.Generator) -> list[str]:
    """A description per case, drawn from its category's, marked as simulated."""
    picks = rng.integers(0, 1000, size=len(categories))
    return [_DISPUTES[c][p % len(_DISPUTES[c])] + SIMULATED for c, p in zip(categories, picks)]
