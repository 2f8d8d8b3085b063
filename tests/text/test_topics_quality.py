"""Topics are clusters labelled by their keywords, with quotes that come from the cluster itself; Chinese is
segmented into words (jieba), not characters."""

import itertools

from empathica.understand.text import discover_topics

DELIVERY = ["快递太慢了，等了一个星期", "物流太慢，快递员态度也差", "快递一直不到，物流信息不更新", "等了十天快递才到",
            "物流速度慢得离谱，快递延误", "快递延误三天，物流客服不回复", "快递包装破损，物流太慢", "这次物流特别慢，快递很晚才到"]
ROOMS = ["房间很干净，床很舒服", "房间干净整洁，早餐丰富", "床很软，房间安静干净", "早餐种类多，房间也干净",
         "房间宽敞干净，床品舒服", "酒店房间干净，早餐好吃", "房间安静，床舒服，早餐不错", "早餐丰富，房间干净卫生"]
REFUNDS = ["I want my refund, the money never came back", "Still waiting for my refund after three weeks",
           "Refund requested twice, no money back yet", "Where is my refund? The money is still missing",
           "The refund was promised but my money never arrived", "No refund yet, I want my money back",
           "Refund still pending, money not returned", "They owe me a refund, money back please"]


def test_topics_follow_themes_with_words_and_quotes_from_their_cluster():
    texts = list(itertools.chain.from_iterable(zip(DELIVERY, ROOMS, REFUNDS)))  # interleaved, not grouped
    found = discover_topics(texts, k=3)
    topics = found.topics
    assert topics["size"].sum() == len(texts) and len(topics) == 3
    theme_of = {t: name for name, group in (("delivery", DELIVERY), ("rooms", ROOMS), ("refunds", REFUNDS)) for t in group}
    assignments = found.assignments.assign(theme=lambda f: f["text"].map(theme_of))
    # every cluster is one theme, and every theme one cluster
    assert (assignments.groupby("topic")["theme"].nunique() == 1).all()
    assert assignments.groupby("theme")["topic"].nunique().eq(1).all()
    for row in topics.itertuples():
        members = set(assignments.loc[assignments["topic"] == row.topic, "text"])
        assert row.quotes and set(row.quotes) <= members  # quotes are texts of this topic
        keywords = row.keywords.split(", ")
        theme = theme_of[row.quotes[0]]
        expected = {"delivery": {"快递", "物流"}, "rooms": {"房间", "早餐", "干净"}, "refunds": {"refund", "money"}}[theme]
        assert expected & set(keywords), (theme, keywords)
        # Chinese keywords are words from jieba, not single characters cut from a sentence
        if theme != "refunds":
            assert all(len(k.replace(" ", "")) >= 2 for k in keywords[:3]), keywords
