"""English text bank of the demo world: fragments that the composer combines into comments, reviews,
conversation turns, values answers and employee comments. Slots: {product} {days} {amount} {order}
{hours} {brand}."""

JOINER = " "
MONEY = "£{amount}"
PRODUCTS = [
    "the 55-inch TV", "my new laptop", "the Bluetooth speaker", "a coffee machine", "the robot vacuum",
    "the soundbar", "a gaming monitor", "the air fryer", "my phone", "the smart speaker", "the tablet",
    "a washing machine", "the fridge freezer", "the e-reader", "the noise-cancelling headset",
    "the smartwatch", "a kettle", "the printer",
]

OPENERS = {
    "negative": [
        "Honestly, really disappointed.", "Not happy at all.", "Where do I start.", "Very frustrating experience.",
        "I've been a customer for years and this is a new low.", "Sorry, but this was poor.", "Ugh.",
        "Quite annoyed, to be honest.", "This is not okay.", "Well, that was a letdown.",
    ],
    "positive": [
        "Really pleased!", "Great experience overall.", "Have to say, well done.", "Very happy customer here.",
        "Impressed, honestly.", "Couldn't have gone better.", "Top marks.", "Lovely experience.",
        "Pleasantly surprised.", "Thanks, Lumen!",
    ],
}

ASPECTS = {
    "delivery_delay": {
        "negative": [
            "My order {order} was supposed to arrive in 2 days and I waited {days} days for it.",
            "{product} turned up {days} days late and nobody told me anything.",
            "The delivery was late again, {days} days after the promised date.",
            "Tracking said 'out for delivery' for {days} days straight, the parcel was late for no reason.",
            "I took a day off work for the delivery and it never came; it finally arrived {days} days late.",
            "Still waiting for {product}, it's been {days} days and the delivery keeps getting pushed back.",
            "Delivery was delayed three times, {product} only came after {days} days.",
            "Paid for express shipping and still waited {days} days; the delivery delay is ridiculous.",
        ],
        "positive": [
            "{product} arrived the next morning, faster than promised.",
            "Delivery was quick and the courier even called ahead.",
            "Ordered in the evening and the parcel arrived fast, the very next day.",
            "Super fast delivery, {product} was at my door within a day.",
        ],
    },
    "refund": {
        "negative": [
            "I returned {product} {days} days ago and I'm still waiting for my refund of {money}.",
            "The refund has not come through, {days} days later and {money} still missing.",
            "They confirmed the return but the refund just never arrived.",
            "Getting my money back for {product} was a nightmare, the refund took {days} days.",
            "Sent {product} back weeks ago, still no refund and no reply.",
            "The refund was only partial, they kept part of my {money} without explaining why.",
        ],
        "positive": [
            "Returned {product} and had the refund within {days} days, no questions asked.",
            "The refund of {money} was on my card quickly.",
            "Easy return and a quick refund, exactly how it should be.",
        ],
    },
    "price": {
        "negative": [
            "{product} was {money}, way too expensive compared to other shops.",
            "The price went up by {money} the day after I ordered.",
            "Overpriced, I found the same {product} much cheaper elsewhere.",
            "The prices here are just too high for what you get.",
        ],
        "positive": [
            "Got {product} for {money}, a really good price.",
            "Fair prices and the discount actually applied at the till.",
            "Great value for money, cheaper than anywhere else I looked.",
        ],
    },
    "staff_attitude": {
        "negative": [
            "The person I spoke to was rude and clearly didn't care.",
            "Staff in the store ignored me for ages and then were rude when I asked about {product}.",
            "The agent was dismissive and kept reading from a script.",
            "Unfriendly staff, I felt like a nuisance for asking a question.",
        ],
        "positive": [
            "The staff member who helped me with {product} was friendly and patient.",
            "Really kind and helpful staff, they took their time with me.",
            "The agent was lovely and genuinely cared about sorting it out.",
        ],
    },
    "waiting_time": {
        "negative": [
            "I was on hold for {hours} hours before anyone picked up.",
            "Waited in the queue forever, almost {hours} hours on hold.",
            "The wait time on the hotline is a joke, I gave up after {hours} hours.",
            "Long queue at the till and only one person serving, I waited far too long.",
        ],
        "positive": [
            "Got through to someone in under a minute, no waiting at all.",
            "Hardly any wait time on the phone, which was a nice surprise.",
        ],
    },
    "app_usability": {
        "negative": [
            "The app keeps crashing when I try to open my order {order}.",
            "The app is so confusing, I couldn't even find where to change my address.",
            "Every update makes the app worse, it logged me out three times today.",
            "Checkout in the app freezes on the last screen, the app is unusable.",
        ],
        "positive": [
            "The app is really easy to use and tracking {product} in the app was simple.",
            "Love the app, checkout takes seconds.",
            "The new app design is clean and fast.",
        ],
    },
    "payment_failure": {
        "negative": [
            "My card payment failed three times on the website and I ended up having to call.",
            "The payment kept failing at checkout even though my card works everywhere else.",
            "Payment failed, money was taken from my account but no order {order} was created.",
            "Checkout said 'payment declined' over and over, I had to phone to place the order.",
            "The payment page errored out at the last step and charged me {money} twice.",
        ],
        "positive": [
            "Payment went through instantly, no problems at all.",
            "Paying was smooth, even with my foreign card.",
        ],
    },
    "product_quality": {
        "negative": [
            "{product} stopped working after {days} days, poor quality.",
            "{product} arrived with a cracked screen and feels cheap.",
            "The quality of {product} is really disappointing for {money}.",
            "{product} broke within a week, it was faulty out of the box.",
        ],
        "positive": [
            "{product} is excellent quality and works perfectly.",
            "Really solid quality, {product} feels premium.",
            "Very happy with {product}, it does exactly what it should.",
        ],
    },
}

FEELINGS = {
    "negative": [
        "I'm so fed up.", "It's really stressful.", "I feel completely ignored.", "This ruined my week.",
        "I'm losing patience.", "Frankly it's exhausting.", "I'm genuinely upset about it.",
        "I feel let down.",
    ],
    "positive": [
        "Made my day.", "Really appreciated.", "I'm delighted.", "So relieved it all worked.",
        "Very satisfied.", "Happy days.",
    ],
}

CLOSINGS = {
    "negative": [
        "Please sort this out.", "Not sure I'll shop here again.", "I expect better.",
        "Would not recommend at the moment.", "Fix it, please.", "Considering going elsewhere.",
        "Someone needs to look at this.",
    ],
    "positive": [
        "Will definitely order again.", "Would recommend to friends.", "Keep it up!",
        "Thanks again.", "See you next time.", "Five stars from me.",
    ],
}

REVIEW_OPENERS = {
    "negative": [
        "Ordered from {brand} and regret it.", "My experience with {brand} was poor.",
        "{brand} used to be better.", "Avoid {brand} if you can.", "Bought from {brand} last month.",
    ],
    "positive": [
        "{brand} did a great job.", "Happy with {brand}.", "Bought from {brand} again and it was great.",
        "Can recommend {brand}.", "{brand} never disappoints.",
    ],
}

CONVERSATION = {
    "customer_open": {
        "delivery_delay": [
            "Hi, my order {order} still hasn't arrived and it's been {days} days. I really need it!",
            "Where is my parcel?? It's {days} days late and tracking hasn't moved.",
            "I'm getting really anxious, {product} was meant to be here last week and the delivery is late.",
            "Hello. The delivery of {product} is late again. This is the third time I've had to chase it.",
            "Seriously, {days} days and still no delivery. It's a birthday present for tomorrow.",
        ],
        "refund": [
            "I returned {product} {days} days ago and haven't got my refund of {money}.",
            "Where is my refund? I sent the parcel back weeks ago.",
            "Hi, I'm worried, my refund for order {order} hasn't arrived and I need that money.",
            "You confirmed my return but the refund still isn't on my card. What's going on?",
        ],
        "payment_failure": [
            "Your website won't take my payment, it keeps failing at checkout!",
            "The payment failed but {money} has gone from my account. I'm panicking a bit.",
            "I've tried to pay four times and keep getting 'payment declined'. My card is fine.",
            "Checkout crashed during payment and now I don't know if order {order} went through.",
        ],
        "product_question": [
            "Hi, does {product} come with a UK plug?",
            "Quick question: is {product} in stock in the London store?",
            "Can you tell me if {product} works with my smart home setup?",
            "Hello, what's the warranty on {product}?",
        ],
        "product_quality": [
            "{product} stopped working after {days} days. I'm really disappointed.",
            "{product} arrived broken, the screen is cracked.",
            "Hi, {product} makes a horrible noise since yesterday, is that normal?",
        ],
        "app_usability": [
            "Your app keeps crashing when I open my orders.",
            "I can't find where to change my delivery address in the app, it's so confusing.",
            "The app logged me out again and now it won't accept my password.",
        ],
    },
    "customer_detail": {
        "delivery_delay": [
            "The order number is {order}. I paid for express delivery.",
            "It's order {order}, placed {days} days ago. Nobody has told me anything.",
            "I stayed home all day yesterday and nothing came.",
        ],
        "refund": [
            "Order {order}. The return was received on your side, I have the tracking.",
            "It was {money}, which is a lot for me right now.",
            "I've already emailed twice with no answer.",
        ],
        "payment_failure": [
            "I'm using a Visa card, it works everywhere else.",
            "It's order {order}, or at least I think it is.",
            "The bank says the payment was blocked by your side.",
        ],
        "product_question": [
            "I want to buy it as a gift, so it needs to arrive by Friday.",
            "I'm comparing it with a {brand} model.",
            "Thanks, and does it come in black?",
        ],
        "product_quality": [
            "I bought it for {money} and expected much better.",
            "It's order {order}, I still have the box.",
            "I've only used it a handful of times.",
        ],
        "app_usability": [
            "I'm on the latest version of the app.",
            "I've reinstalled it twice already.",
            "It happens every time I open order {order}.",
        ],
    },
    "customer_end": {
        "positive": [
            "Thank you so much, that really helps.", "Great, thanks for your help!", "Perfect, appreciate it.",
            "Thanks, that's a relief.", "Brilliant, thank you.",
        ],
        "negative": [
            "Fine. Whatever.", "That doesn't really help me.", "OK, I'll wait again I suppose.",
            "This is useless.", "I'm not happy with this answer.",
        ],
    },
    "agent_greeting": [
        "Hi, thanks for contacting Lumen.", "Hello, you're through to Lumen customer service.",
        "Hi there, thanks for reaching out.", "Good afternoon, Lumen support here.", "Hello and thanks for waiting.",
    ],
    "agent_emotion": [
        "I'm so sorry to hear that.", "Oh no, that sounds really stressful.",
        "I'm really sorry, that must be so frustrating.", "I can only imagine how annoying that is.",
        "That's awful, I'm sorry you've had to deal with this.", "I completely get why you're upset.",
        "Oh dear, I'm sorry this has been such a hassle.", "That sounds like a horrible experience, I'm sorry.",
    ],
    "agent_interpret": {
        "delivery_delay": [
            "I understand you've been waiting {days} days for {product} and nobody kept you updated.",
            "So if I've got this right, you stayed in for a delivery that never came.",
            "It sounds like you needed {product} in time and the delay has messed up your plans.",
        ],
        "refund": [
            "I understand you've sent {product} back and you're still waiting for {money}.",
            "So you've done everything right and the refund still hasn't arrived, I get that.",
            "It sounds like you really need that money back soon.",
        ],
        "payment_failure": [
            "I understand the payment kept failing and you're worried you've been charged.",
            "So you've tried several times and you're not sure if the order went through, that's unsettling.",
            "It sounds like you've lost a lot of time trying to pay.",
        ],
        "product_question": [
            "I understand you want to be sure {product} is the right one before buying.",
            "So you need it to arrive in time for the gift, got it.",
        ],
        "product_quality": [
            "I understand {product} broke after only {days} days, which is not what you paid {money} for.",
            "So it arrived damaged and you've been left without it, I get that.",
        ],
        "app_usability": [
            "I understand the app keeps kicking you out right when you need it.",
            "So you've reinstalled it and it still crashes, that's really annoying.",
        ],
    },
    "agent_explore": [
        "How are you holding up?", "Is this for a special occasion?", "Is there anything else worrying you about it?",
        "Can you tell me a bit more about what happened?", "What would help you most right now?",
        "Do you need it by a particular day?", "How has this affected your plans?",
    ],
    "agent_action": {
        "delivery_delay": [
            "I've contacted the courier and your parcel is booked for delivery tomorrow.",
            "I've upgraded your delivery to next-day at no cost.",
            "I've checked order {order}: it's at the local depot and will go out first thing.",
        ],
        "refund": [
            "I've pushed the refund through now, you'll see {money} within 3 working days.",
            "I've escalated the refund and sent you a confirmation by email.",
            "The refund for order {order} is approved, it should reach your card shortly.",
        ],
        "payment_failure": [
            "I can take the payment over the phone and place order {order} for you now.",
            "I've checked and you were not charged twice; the pending amount will be released.",
            "I've placed the order manually and emailed you the confirmation.",
        ],
        "product_question": [
            "Yes, {product} comes with a two-year warranty and is in stock.",
            "It's compatible, and it can be delivered by Friday.",
            "I've reserved one for you in the store.",
        ],
        "product_quality": [
            "I've arranged a free replacement and a courier to collect the faulty one.",
            "I've started a return for order {order}, the label is in your inbox.",
        ],
        "app_usability": [
            "I've reset your account, please try logging in again.",
            "I've passed this to our app team and changed the address for you.",
        ],
    },
    "agent_jargon": {
        "delivery_delay": [
            "Pls provide OID. Parcel is in transit, ETA 3-5 BD per SLA.",
            "Order status: dispatched. Carrier SLA 5-7 BD. Ticket raised, ref attached.",
            "As per T&Cs delivery window is 3-7 BD. No further action atm.",
        ],
        "refund": [
            "Pls provide your RMA no. and OID, SLA is 5-7 BD.",
            "Refund pending QC. Processing time 10 BD from RMA receipt.",
            "RMA rcvd. Refund will be issued to OPM within 14 BD.",
        ],
        "payment_failure": [
            "Pls clear cache/cookies and retry. If PSP declines, contact your bank.",
            "Txn declined by 3DS. Auth hold auto-releases in 5-7 BD.",
            "No duplicate charge on our side. Pls check w/ card issuer.",
        ],
        "product_question": [
            "Pls check product page for specs. Stock lvl per SKU shown online.",
            "Warranty per T&Cs. Ref: SKU page.",
        ],
        "product_quality": [
            "Pls raise RMA via portal w/ OID + photos. QC review 5-7 BD.",
            "DOA claims must be logged within 14d. Pls provide OID.",
        ],
        "app_usability": [
            "Pls update to latest app ver and clear cache. Ticket fwd to L2.",
            "Known issue, fix in next release. No ETA atm.",
        ],
    },
    "agent_close": {
        "warm": [
            "Please don't hesitate to come back to me if anything else comes up. Take care!",
            "Thanks so much for your patience, and I hope the rest of your day is calmer.",
            "I'll keep an eye on it personally. Have a lovely evening.",
            "Sorry again for all the trouble, and thanks for bearing with us.",
        ],
        "flat": [
            "Anything else?", "Ticket closed.", "Case ref in email.", "Pls allow processing time.", "Thx.",
        ],
    },
}

VALUES_QUESTIONS = [
    "What matters most to you when you buy electronics?",
    "What would make you trust a shop for years?",
    "What do you expect from us when something goes wrong?",
]
VALUES_ANSWERS = {
    "reliability": [
        "That it arrives when you say it will.", "Honest delivery dates, even if they're longer.",
        "Things that last and a shop that keeps its promises.", "Reliability above everything.",
    ],
    "price": [
        "A fair price, I compare a lot before I buy.", "Good deals without hidden fees.",
        "Transparent prices and no tricks at checkout.",
    ],
    "service": [
        "Being treated like a person, not a ticket number.", "Someone who listens and actually helps.",
        "Quick, friendly help when something goes wrong.", "That you call back when you promise to.",
    ],
    "sustainability": [
        "Repairable products and less packaging.", "That old devices are recycled properly.",
        "Knowing the products were made responsibly.",
    ],
    "convenience": [
        "An app that just works and easy returns.", "Being able to order online and pick up in store.",
        "Not having to chase anything.",
    ],
}

STAFF_COMMENTS = {
    "negative": [
        "Too many tickets per person and no time to actually help anyone.", "Nobody listens to what we flag.",
        "The refund system is broken and customers shout at us for it.", "Morale is low, people keep leaving.",
        "We never hear back from management about the backlog.",
    ],
    "positive": [
        "Great team, we really help each other.", "My manager supports me and I'm learning a lot.",
        "Proud of what we do for customers.", "Good balance, the new schedule works.",
        "I feel trusted to make decisions.",
    ],
}

#: Words that show which aspect a text is about (each template of ASPECTS[a] contains one of them).
KEYWORDS = {
    "delivery_delay": ["deliver", "arriv", "parcel", "courier", "late", "waited", "waiting for"],
    "refund": ["refund"],
    "price": ["price", "expensive", "cheap", "value", "overpriced"],
    "staff_attitude": ["staff", "rude", "agent", "person", "friendly", "kind"],
    "waiting_time": ["hold", "queue", "wait"],
    "app_usability": ["app"],
    "payment_failure": ["payment", "paying", "declined"],
    "product_quality": ["quality", "broke", "working", "faulty", "cracked", "works", "excellent", "does exactly", "noise"],
}

#: Stock replies of the truth ``apology_leaving``: an apology with no way forward (no step, time, owner or answer).
STOCK_APOLOGY = {
    "open": [
        "We are sorry for the inconvenience. Your feedback has been noted.",
        "We are very sorry for the inconvenience caused. We have noted your comments.",
        "Sorry for the trouble. We have recorded your feedback.",
    ],
    "again": ["We are sorry again for any inconvenience.", "We are sorry for the inconvenience and thank you for your patience."],
    "close": ["Thank you for your understanding.", "Thank you for contacting us."],
}
