"""Word lists the generator draws from: names, places, trades, and the code tables.

Every character here is encodable in GBK, because the population registry answers in GBK
(``tests/sandbox`` checks it).
"""

from __future__ import annotations

from functools import cache
from itertools import accumulate

from tongban.identifiers import PROVINCES, region, region_codes

# Common surnames, most frequent first (weights roughly follow the 2020 census ranking);
# a few two-character ones (复姓) at the end.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
    "魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金贾韦夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾"
)
SURNAME_LIST: tuple[str, ...] = (*SURNAMES, "欧阳", "司马", "上官", "诸葛", "东方", "皇甫")
SURNAME_CUMULATIVE: tuple[float, ...] = tuple(
    accumulate([1.0 / (1 + r / 12) for r in range(len(SURNAMES))] + [0.02] * 6)
)
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅文辉玲晶鹏飞宇浩然子涵欣怡"
    "思雨梓萱一诺俊杰博文嘉怡佳琪晨曦雅婷海燕春生德福永庆学东晓光宏斌丹凤琳慧颖婧瑶瑞祥立新"
)
# GB 3304 ethnicity codes; 汉 is about 91 % of the population.
ETHNICITIES = ("01", "02", "03", "04", "05", "06", "07", "08", "10", "11", "15")
ETHNICITY_CUMULATIVE = tuple(accumulate((91.0, 0.5, 0.8, 0.5, 0.8, 0.8, 0.7, 1.4, 0.2, 0.8, 0.7)))
STREETS = (
    "人民路", "解放路", "中山路", "建设路", "和平街", "新华路", "文化路", "胜利街", "长江路",
    "黄河路", "光明街", "团结路", "复兴路", "朝阳路", "青年路", "育才路", "东风路", "幸福街",
    "滨江路", "湖滨路",
)  # fmt: skip
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "158", "159", "166", "176", "177", "180", "181", "186", "187", "188", "189",
    "191", "198", "199",
)  # fmt: skip
TRADE_NAMES = (
    "华信", "瑞丰", "恒通", "鼎盛", "宏达", "金桥", "远航", "正泰", "海纳", "博远", "新锐", "德润",
    "嘉禾", "天成", "明辉", "安和", "同创", "长盛", "汇智", "星辰", "绿源", "融信", "永兴", "泰康",
    "启明", "众诚", "凯旋", "华宇", "中联", "鑫源", "弘毅", "信达", "锦程", "瑞祥", "和顺", "聚贤",
)  # fmt: skip
INDUSTRIES = (
    ("科技", "技术开发、技术咨询、技术服务；软件开发；信息系统集成服务"),
    ("贸易", "日用百货、五金交电、建筑材料销售；货物进出口"),
    ("建筑工程", "房屋建筑工程施工；市政公用工程施工；建筑装饰装修"),
    ("餐饮管理", "餐饮服务；餐饮管理；食品销售"),
    ("物流", "道路货物运输；仓储服务；装卸搬运"),
    ("电子", "电子元器件制造、销售；电子产品研发"),
    ("农业开发", "农作物种植；农产品初加工；农业技术推广"),
    ("文化传媒", "广告设计、制作、代理；文化艺术交流活动策划"),
    ("医疗器械", "第一类医疗器械销售；第二类医疗器械销售"),
    ("环保科技", "环境保护专用设备销售；污水处理及其再生利用"),
)
ENTERPRISE_TYPES = (
    ("1", "有限责任公司（自然人投资或控股）", "有限公司", 60.0),
    ("1", "有限责任公司（自然人独资）", "有限公司", 15.0),
    ("1", "股份有限公司（非上市、自然人投资或控股）", "股份有限公司", 5.0),
    ("2", "个体工商户", "经营部", 15.0),
    ("3", "农民专业合作社", "专业合作社", 5.0),
)
ENTERPRISE_TYPE_CUMULATIVE = tuple(accumulate(t[3] for t in ENTERPRISE_TYPES))
ENTERPRISE_STATUSES = ("存续", "在业", "吊销", "注销")
ENTERPRISE_STATUS_CUMULATIVE = (62.0, 92.0, 96.0, 100.0)
INSURANCE_STATUSES = ("参保", "暂停", "终止")
INSURANCE_STATUS_CUMULATIVE = (85.0, 93.0, 100.0)

_NOT_A_PLACE = ("市辖区", "县", "郊区", "矿区")
_MAINLAND = frozenset(PROVINCES) - {"71", "81", "82"}


def _is_county(code: str) -> bool:
    r = region(code)
    return r is not None and code[:2] in _MAINLAND and code[4:6] != "00" and _is_place_name(r.name)


def _is_place_name(name: str) -> bool:
    return name not in _NOT_A_PLACE and "直辖" not in name


@cache
def county_codes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """County-level codes of the mainland: (in force today, withdrawn since 1980)."""
    current: list[str] = []
    withdrawn: list[str] = []
    for code in sorted(region_codes()):
        if _is_county(code):
            r = region(code)
            assert r is not None
            (current if r.in_force else withdrawn).append(code)
    return tuple(current), tuple(withdrawn)


@cache
def place_prefix(code: str) -> str:
    """省 + 市 + 县 as written on an address (直辖市 name their 区 directly)."""
    r = region(code)
    county = r.name if r else ""
    province = PROVINCES.get(code[:2], "")
    city = region(code[:4] + "00")
    city_name = city.name if city and _is_place_name(city.name) else ""
    if province.endswith("市"):
        return province + county
    return province + city_name + county


@cache
def city_county(code: str) -> str:
    """市 + 县 as an enterprise name starts (杭州市西湖区); 直辖市 use their own name."""
    prefix = place_prefix(code)
    province = PROVINCES.get(code[:2], "")
    return prefix if province.endswith("市") else prefix[len(province) :]


def is_gbk(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True
