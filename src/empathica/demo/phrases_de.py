"""Deutsche Textbausteine der Demo-Welt (Kommentare, Bewertungen, Gesprächsbeiträge, Werte-Antworten,
Mitarbeiterkommentare). Platzhalter: {product} {days} {money} {order} {hours} {brand}."""

JOINER = " "
MONEY = "{amount} €"
#: Products in nominative, accusative and dative: slots {product}, {product_acc}, {product_dat}.
PRODUCTS = [
    ("der Fernseher", "den Fernseher", "dem Fernseher"),
    ("mein neuer Laptop", "meinen neuen Laptop", "meinem neuen Laptop"),
    ("das Bluetooth-Headset", "das Bluetooth-Headset", "dem Bluetooth-Headset"),
    ("der Kaffeevollautomat", "den Kaffeevollautomaten", "dem Kaffeevollautomaten"),
    ("der Saugroboter", "den Saugroboter", "dem Saugroboter"),
    ("die Soundbar", "die Soundbar", "der Soundbar"),
    ("der Gaming-Monitor", "den Gaming-Monitor", "dem Gaming-Monitor"),
    ("die Heißluftfritteuse", "die Heißluftfritteuse", "der Heißluftfritteuse"),
    ("mein Handy", "mein Handy", "meinem Handy"),
    ("der Smart Speaker", "den Smart Speaker", "dem Smart Speaker"),
    ("das Tablet", "das Tablet", "dem Tablet"),
    ("die Waschmaschine", "die Waschmaschine", "der Waschmaschine"),
    ("die Kühl-Gefrier-Kombi", "die Kühl-Gefrier-Kombi", "der Kühl-Gefrier-Kombi"),
    ("der E-Book-Reader", "den E-Book-Reader", "dem E-Book-Reader"),
    ("die Spülmaschine", "die Spülmaschine", "der Spülmaschine"),
    ("die Smartwatch", "die Smartwatch", "der Smartwatch"),
    ("der Wasserkocher", "den Wasserkocher", "dem Wasserkocher"),
    ("der Drucker", "den Drucker", "dem Drucker"),
]

OPENERS = {
    "negative": [
        "Leider sehr enttäuscht.", "So geht das nicht.", "Ich bin echt sauer.", "Was für ein Ärger.",
        "Seit Jahren Kunde, aber das war der Tiefpunkt.", "Eine Zumutung.", "Nie wieder, ehrlich gesagt.",
        "Ich weiß nicht, was ich dazu noch sagen soll.", "Ziemlich ärgerlich.", "Schade, wirklich schade.",
    ],
    "positive": [
        "Rundum zufrieden!", "Top, weiter so.", "Das hat super geklappt.", "Sehr angenehm.",
        "Ich bin begeistert.", "Alles bestens.", "Besser hätte es nicht laufen können.", "Klasse Service.",
        "Hat mich positiv überrascht.", "Danke, Lumen!",
    ],
}

ASPECTS = {
    "delivery_delay": {
        "negative": [
            "Die Lieferung sollte in zwei Tagen da sein, gewartet habe ich {days} Tage.",
            "{product} kam mit {days} Tagen Verspätung, und niemand hat Bescheid gegeben.",
            "Schon wieder eine verspätete Lieferung, {days} Tage nach dem zugesagten Termin.",
            "Die Sendungsverfolgung zeigte {days} Tage lang 'in Zustellung', das Paket kam einfach nicht.",
            "Ich habe mir extra freigenommen, aber der Paketbote kam nicht; geliefert wurde erst {days} Tage später.",
            "Ich warte seit {days} Tagen auf {product_acc}, der Liefertermin wird ständig verschoben.",
            "Trotz Expressversand {days} Tage gewartet, die Lieferung war eine Katastrophe.",
            "Bestellung {order} ist immer noch nicht angekommen, {days} Tage Verzögerung.",
        ],
        "positive": [
            "{product} wurde schon am nächsten Morgen geliefert, schneller als angekündigt.",
            "Die Lieferung kam pünktlich und der Fahrer hat sogar vorher angerufen.",
            "Abends bestellt, am nächsten Tag geliefert, super schnell.",
            "Blitzschnelle Lieferung, das Paket stand nach einem Tag vor der Tür.",
        ],
    },
    "refund": {
        "negative": [
            "Ich habe {product_acc} vor {days} Tagen zurückgeschickt und warte immer noch auf die Erstattung von {money}.",
            "Die Rückerstattung ist nach {days} Tagen noch nicht da, {money} fehlen mir.",
            "Die Retoure wurde bestätigt, aber das Geld kam nie zurück.",
            "Mein Geld für {product_acc} zurückzubekommen war ein Albtraum, die Erstattung dauerte {days} Tage.",
            "Paket vor Wochen zurückgeschickt, bis heute keine Gutschrift und keine Antwort.",
            "Es wurde nur ein Teil erstattet, vom Betrag über {money} fehlt ohne Erklärung etwas.",
        ],
        "positive": [
            "Ich habe {product_acc} zurückgegeben und innerhalb von {days} Tagen das Geld erstattet bekommen.",
            "Die Erstattung über {money} war schnell auf dem Konto.",
            "Unkomplizierte Retoure, das Geld kam zügig zurück.",
        ],
    },
    "price": {
        "negative": [
            "{product} hat {money} gekostet, viel zu teuer im Vergleich zu anderen Händlern.",
            "Einen Tag nach meiner Bestellung war der Preis plötzlich um {money} höher.",
            "Überteuert, dasselbe Gerät gibt es woanders deutlich günstiger.",
            "Die Preise sind für das Gebotene einfach zu hoch.",
        ],
        "positive": [
            "Ich habe {product_acc} für {money} bekommen, ein wirklich guter Preis.",
            "Faire Preise, und der Rabatt wurde an der Kasse tatsächlich abgezogen.",
            "Preis-Leistung stimmt, nirgends günstiger gefunden.",
        ],
    },
    "staff_attitude": {
        "negative": [
            "Der Mitarbeiter am Telefon war unfreundlich und hatte null Interesse.",
            "Im Laden wurde ich ewig ignoriert und dann auch noch patzig behandelt.",
            "Die Dame an der Hotline war herablassend und hat nur Textbausteine vorgelesen.",
            "Unfreundliches Personal, ich kam mir vor wie ein Störenfried.",
        ],
        "positive": [
            "Der Verkäufer hat sich viel Zeit genommen und war total freundlich.",
            "Sehr nettes und hilfsbereites Personal.",
            "Die Mitarbeiterin am Telefon war geduldig und wollte wirklich helfen.",
        ],
    },
    "waiting_time": {
        "negative": [
            "Ich hing {hours} Stunden in der Warteschleife, bevor jemand abgenommen hat.",
            "Ewige Wartezeit an der Hotline, fast {hours} Stunden.",
            "Die Warteschleife ist ein Witz, nach {hours} Stunden habe ich aufgelegt.",
            "Lange Schlange an der Kasse und nur eine Kasse offen, viel zu lange gewartet.",
        ],
        "positive": [
            "Nach weniger als einer Minute hatte ich jemanden dran, keine Wartezeit.",
            "Kaum Wartezeit am Telefon, das war angenehm.",
        ],
    },
    "app_usability": {
        "negative": [
            "Die App stürzt jedes Mal ab, wenn ich Bestellung {order} öffnen will.",
            "Die App ist total unübersichtlich, die Lieferadresse konnte ich nicht ändern.",
            "Mit jedem Update wird die App schlechter, heute dreimal ausgeloggt.",
            "Der Bezahlvorgang in der App hängt auf der letzten Seite, so ist die App unbrauchbar.",
        ],
        "positive": [
            "Die App ist einfach zu bedienen, die Sendungsverfolgung in der App klappt prima.",
            "Tolle App, bestellt ist in Sekunden.",
            "Das neue App-Design ist übersichtlich und schnell.",
        ],
    },
    "payment_failure": {
        "negative": [
            "Die Kartenzahlung ist im Webshop dreimal fehlgeschlagen, am Ende musste ich anrufen.",
            "Die Zahlung scheitert immer an der Kasse, obwohl meine Karte überall sonst funktioniert.",
            "Zahlung fehlgeschlagen, das Geld wurde trotzdem abgebucht, aber keine Bestellung angelegt.",
            "Beim Bezahlen kam immer wieder 'Zahlung abgelehnt', ich musste telefonisch bestellen.",
            "Die Bezahlseite ist im letzten Schritt abgestürzt und hat {money} doppelt abgebucht.",
        ],
        "positive": [
            "Die Zahlung ging sofort durch, keinerlei Probleme.",
            "Bezahlen per PayPal ging reibungslos.",
        ],
    },
    "product_quality": {
        "negative": [
            "{product} ist nach {days} Tagen kaputtgegangen, miese Qualität.",
            "{product} kam mit gesprungenem Display an und wirkt billig verarbeitet.",
            "Für {money} ist die Qualität wirklich enttäuschend.",
            "{product} war schon beim Auspacken defekt.",
        ],
        "positive": [
            "{product} ist von hervorragender Qualität und funktioniert einwandfrei.",
            "Sehr solide Verarbeitung, fühlt sich hochwertig an.",
            "Mit {product_dat} bin ich sehr zufrieden, funktioniert genau wie es soll.",
        ],
    },
}

FEELINGS = {
    "negative": [
        "Ich bin es echt leid.", "Das stresst mich total.", "Man fühlt sich komplett allein gelassen.",
        "Das hat mir die ganze Woche verdorben.", "Meine Geduld ist am Ende.", "Einfach nur nervig.",
        "Ich bin wirklich verärgert.", "Ich fühle mich im Stich gelassen.",
    ],
    "positive": [
        "Hat mich sehr gefreut.", "Vielen Dank dafür.", "Ich bin total happy.", "Bin erleichtert, dass alles geklappt hat.",
        "Sehr zufriedenstellend.", "So macht Einkaufen Spaß.",
    ],
}

CLOSINGS = {
    "negative": [
        "Bitte kümmern Sie sich darum.", "Ob ich hier nochmal bestelle, weiß ich nicht.", "Ich erwarte mehr.",
        "Im Moment keine Empfehlung.", "Das muss besser werden.", "Ich überlege, zur Konkurrenz zu wechseln.",
        "Da sollte sich mal jemand drum kümmern.",
    ],
    "positive": [
        "Gerne wieder.", "Kann ich nur weiterempfehlen.", "Weiter so!", "Nochmals danke.",
        "Bis zum nächsten Mal.", "Fünf Sterne von mir.",
    ],
}

REVIEW_OPENERS = {
    "negative": [
        "Bei {brand} bestellt und bereut.", "Meine Erfahrung mit {brand} war schlecht.",
        "{brand} war früher mal besser.", "Finger weg von {brand}.", "Letzten Monat bei {brand} gekauft.",
    ],
    "positive": [
        "{brand} hat das super gemacht.", "Mit {brand} sehr zufrieden.", "Wieder bei {brand} gekauft, klasse.",
        "{brand} kann ich empfehlen.", "Auf {brand} ist Verlass.",
    ],
}

CONVERSATION = {
    "customer_open": {
        "delivery_delay": [
            "Hallo, meine Bestellung {order} ist nach {days} Tagen immer noch nicht da. Ich brauche sie dringend!",
            "Wo bleibt mein Paket?? {days} Tage Verspätung und die Sendungsverfolgung bewegt sich nicht.",
            "Ich werde langsam nervös, {product} sollte letzte Woche kommen und die Lieferung ist überfällig.",
            "Guten Tag. Die Lieferung von {product_dat} verspätet sich schon wieder. Ich muss jetzt zum dritten Mal nachfragen.",
            "Ernsthaft, {days} Tage und keine Lieferung. Das ist ein Geburtstagsgeschenk für morgen.",
        ],
        "refund": [
            "Ich habe {product_acc} vor {days} Tagen zurückgeschickt und meine Erstattung über {money} ist nicht da.",
            "Wo bleibt meine Rückerstattung? Das Paket ist seit Wochen bei Ihnen.",
            "Hallo, ich mache mir Sorgen, die Erstattung für Bestellung {order} fehlt und ich brauche das Geld.",
            "Sie haben die Retoure bestätigt, aber das Geld ist immer noch nicht auf meinem Konto. Was ist da los?",
        ],
        "payment_failure": [
            "Ihr Webshop nimmt meine Zahlung nicht an, an der Kasse schlägt sie ständig fehl!",
            "Die Zahlung ist fehlgeschlagen, aber {money} wurden abgebucht. Ich bin ziemlich beunruhigt.",
            "Viermal versucht zu bezahlen, immer 'Zahlung abgelehnt'. Meine Karte ist in Ordnung.",
            "Beim Bezahlen ist die Seite abgestürzt und jetzt weiß ich nicht, ob Bestellung {order} durch ist.",
        ],
        "product_question": [
            "Hallo, hat {product} einen deutschen Stecker?",
            "Kurze Frage: Ist {product} in der Filiale in München vorrätig?",
            "Können Sie mir sagen, ob {product} mit meinem Smart-Home-System funktioniert?",
            "Guten Tag, wie lange ist die Garantie auf {product_acc}?",
        ],
        "product_quality": [
            "{product} funktioniert nach {days} Tagen nicht mehr. Ich bin wirklich enttäuscht.",
            "{product} kam kaputt an, das Display ist gesprungen.",
            "Hallo, {product} macht seit gestern ein furchtbares Geräusch, ist das normal?",
        ],
        "app_usability": [
            "Ihre App stürzt ab, sobald ich meine Bestellungen öffne.",
            "Ich finde in der App nicht, wo man die Lieferadresse ändert, total verwirrend.",
            "Die App hat mich schon wieder ausgeloggt und nimmt mein Passwort nicht mehr an.",
        ],
    },
    "customer_detail": {
        "delivery_delay": [
            "Die Bestellnummer ist {order}. Ich habe Express bezahlt.",
            "Bestellung {order}, vor {days} Tagen aufgegeben. Niemand hat sich gemeldet.",
            "Ich war gestern den ganzen Tag zu Hause und es kam nichts.",
        ],
        "refund": [
            "Bestellung {order}. Die Retoure ist laut Sendungsverfolgung bei Ihnen angekommen.",
            "Es geht um {money}, das ist gerade viel Geld für mich.",
            "Ich habe schon zweimal gemailt und keine Antwort bekommen.",
        ],
        "payment_failure": [
            "Ich zahle mit Visa, die funktioniert überall sonst.",
            "Es ist Bestellung {order}, glaube ich zumindest.",
            "Meine Bank sagt, die Zahlung wurde von Ihrer Seite blockiert.",
        ],
        "product_question": [
            "Es soll ein Geschenk sein, also muss es bis Freitag da sein.",
            "Ich vergleiche gerade mit einem Modell von {brand}.",
            "Danke, und gibt es das auch in Schwarz?",
        ],
        "product_quality": [
            "Ich habe {money} dafür bezahlt und deutlich mehr erwartet.",
            "Bestellung {order}, die Verpackung habe ich noch.",
            "Ich habe es erst ein paar Mal benutzt.",
        ],
        "app_usability": [
            "Ich habe die neueste Version der App.",
            "Ich habe sie schon zweimal neu installiert.",
            "Das passiert jedes Mal bei Bestellung {order}.",
        ],
    },
    "customer_end": {
        "positive": [
            "Vielen herzlichen Dank, das hilft mir sehr.", "Super, danke für Ihre Hilfe!", "Perfekt, danke.",
            "Danke, da bin ich erleichtert.", "Klasse, vielen Dank.",
        ],
        "negative": [
            "Na gut. Auch egal.", "Das hilft mir nicht wirklich.", "Dann warte ich halt wieder.",
            "Das bringt doch nichts.", "Mit der Antwort bin ich nicht zufrieden.",
        ],
    },
    "agent_greeting": [
        "Hallo, danke, dass Sie sich bei Lumen melden.", "Guten Tag, Sie sind beim Lumen-Kundenservice.",
        "Hallo, schön, dass Sie schreiben.", "Guten Tag, hier ist der Lumen-Support.", "Hallo und danke fürs Warten.",
    ],
    "agent_emotion": [
        "Das tut mir wirklich leid.", "Oh nein, das klingt wirklich belastend.",
        "Es tut mir sehr leid, das ist bestimmt total frustrierend.", "Ich kann mir gut vorstellen, wie ärgerlich das ist.",
        "Das ist furchtbar, tut mir leid, dass Sie sich damit herumschlagen müssen.",
        "Ich verstehe absolut, dass Sie verärgert sind.", "Oje, entschuldigen Sie bitte die ganzen Umstände.",
        "Das klingt nach einer richtig schlechten Erfahrung, das tut mir leid.",
    ],
    "agent_interpret": {
        "delivery_delay": [
            "Ich verstehe, Sie warten schon {days} Tage auf {product_acc} und niemand hat Sie informiert.",
            "Wenn ich Sie richtig verstehe, waren Sie extra zu Hause und die Lieferung kam nicht.",
            "Es klingt so, als bräuchten Sie {product_acc} rechtzeitig und die Verspätung wirft Ihre Pläne um.",
        ],
        "refund": [
            "Ich verstehe, Sie haben {product_acc} zurückgeschickt und warten noch auf {money}.",
            "Sie haben also alles richtig gemacht und das Geld ist trotzdem nicht da, das verstehe ich.",
            "Es klingt, als wären Sie auf das Geld bald angewiesen.",
        ],
        "payment_failure": [
            "Ich verstehe, die Zahlung ist mehrfach gescheitert und Sie fürchten eine doppelte Abbuchung.",
            "Sie haben es also mehrmals versucht und wissen nicht, ob die Bestellung durch ist, das verunsichert.",
            "Es klingt, als hätten Sie schon viel Zeit mit dem Bezahlen verloren.",
        ],
        "product_question": [
            "Ich verstehe, Sie möchten sicher sein, dass {product} das Richtige ist.",
            "Es muss also rechtzeitig zum Geschenk da sein, alles klar.",
        ],
        "product_quality": [
            "Ich verstehe, {product} ist nach nur {days} Tagen kaputt, dafür haben Sie keine {money} bezahlt.",
            "Es kam also beschädigt an und Sie stehen jetzt ohne da, das verstehe ich.",
        ],
        "app_usability": [
            "Ich verstehe, die App wirft Sie genau dann raus, wenn Sie sie brauchen.",
            "Sie haben sie also neu installiert und sie stürzt trotzdem ab, das ist wirklich lästig.",
        ],
    },
    "agent_explore": [
        "Wie geht es Ihnen damit?", "Ist es für einen besonderen Anlass?", "Gibt es noch etwas, das Ihnen Sorgen macht?",
        "Können Sie mir etwas mehr erzählen, was genau passiert ist?", "Was würde Ihnen jetzt am meisten helfen?",
        "Brauchen Sie es bis zu einem bestimmten Tag?", "Was bedeutet das für Ihre Pläne?",
    ],
    "agent_action": {
        "delivery_delay": [
            "Ich habe den Paketdienst kontaktiert, Ihr Paket wird morgen zugestellt.",
            "Ich habe Ihre Lieferung kostenlos auf Express umgestellt.",
            "Bestellung {order} liegt im Depot vor Ort und geht morgen früh raus.",
        ],
        "refund": [
            "Ich habe die Erstattung jetzt angestoßen, die {money} sind in 3 Werktagen bei Ihnen.",
            "Ich habe die Erstattung eskaliert und Ihnen eine Bestätigung gemailt.",
            "Die Erstattung für Bestellung {order} ist freigegeben und kommt in Kürze.",
        ],
        "payment_failure": [
            "Ich kann die Zahlung telefonisch aufnehmen und Bestellung {order} jetzt für Sie anlegen.",
            "Ich habe nachgesehen: Es gab keine doppelte Abbuchung, die Vormerkung wird freigegeben.",
            "Ich habe die Bestellung manuell angelegt und Ihnen die Bestätigung gemailt.",
        ],
        "product_question": [
            "Ja, {product} hat zwei Jahre Garantie und ist vorrätig.",
            "Es ist kompatibel und kann bis Freitag geliefert werden.",
            "Ich habe Ihnen ein Gerät in der Filiale reserviert.",
        ],
        "product_quality": [
            "Ich habe kostenlosen Ersatz veranlasst, das defekte Gerät wird abgeholt.",
            "Ich habe die Retoure für Bestellung {order} angelegt, das Etikett ist in Ihrem Postfach.",
        ],
        "app_usability": [
            "Ich habe Ihr Konto zurückgesetzt, bitte melden Sie sich neu an.",
            "Ich habe das an unser App-Team gegeben und die Adresse für Sie geändert.",
        ],
    },
    "agent_jargon": {
        "delivery_delay": [
            "Bitte BestNr. angeben. Sendung in Zustellung, Laufzeit lt. AGB 3-5 WT.",
            "Status: versandt. Zustellung durch DL gem. SLA 5-7 WT. Ticket angelegt.",
            "Lt. AGB Lieferfenster 3-7 WT. Derzeit kein weiterer Handlungsbedarf.",
        ],
        "refund": [
            "Bitte RMA-Nr. und BestNr. angeben, Bearbeitung gem. SLA 5-7 WT.",
            "Erstattung nach WE-Prüfung. Bearbeitungszeit 10 WT ab Eingang RMA.",
            "RMA eingegangen. Gutschrift auf urspr. ZA innerhalb 14 WT.",
        ],
        "payment_failure": [
            "Bitte Cache leeren u. erneut versuchen. Bei Ablehnung durch PSP Bank kontaktieren.",
            "Txn durch 3DS abgelehnt. Autorisierung wird nach 5-7 WT autom. freigegeben.",
            "Keine Doppelbelastung unsererseits. Bitte mit Kartenherausgeber klären.",
        ],
        "product_question": [
            "Techn. Daten s. Produktseite. Bestand je Art.-Nr. online einsehbar.",
            "Garantie gem. AGB. Siehe Art.-Seite.",
        ],
        "product_quality": [
            "Bitte RMA über Portal mit BestNr. + Fotos anlegen. Prüfung 5-7 WT.",
            "DOA-Fälle innerhalb 14 T melden. Bitte BestNr. angeben.",
        ],
        "app_usability": [
            "Bitte App auf akt. Version updaten u. Cache leeren. Ticket an 2nd Level.",
            "Bekannter Fehler, Fix im nächsten Release. Kein Termin bekannt.",
        ],
    },
    "agent_close": {
        "warm": [
            "Melden Sie sich jederzeit gern wieder, wenn noch etwas ist. Alles Gute!",
            "Vielen Dank für Ihre Geduld, und ich wünsche Ihnen einen entspannteren Tag.",
            "Ich behalte das persönlich im Blick. Einen schönen Abend noch.",
            "Nochmals Entschuldigung für den Ärger und danke, dass Sie drangeblieben sind.",
        ],
        "flat": ["Sonst noch was?", "Ticket geschlossen.", "Vorgangsnr. per Mail.", "Bitte Bearbeitungszeit abwarten.", "Danke."],
    },
}

VALUES_QUESTIONS = [
    "Was ist Ihnen beim Kauf von Elektronik am wichtigsten?",
    "Was müsste ein Händler tun, damit Sie ihm jahrelang vertrauen?",
    "Was erwarten Sie von uns, wenn etwas schiefgeht?",
]
VALUES_ANSWERS = {
    "reliability": [
        "Dass die Ware kommt, wann es versprochen wurde.", "Ehrliche Liefertermine, auch wenn sie länger sind.",
        "Langlebige Geräte und ein Händler, der Wort hält.", "Zuverlässigkeit, ganz klar.",
    ],
    "price": [
        "Ein fairer Preis, ich vergleiche viel.", "Gute Angebote ohne versteckte Kosten.",
        "Transparente Preise, keine Tricks an der Kasse.",
    ],
    "service": [
        "Als Mensch behandelt zu werden und nicht als Vorgangsnummer.", "Jemand, der zuhört und wirklich hilft.",
        "Schnelle, freundliche Hilfe, wenn etwas nicht klappt.", "Dass zurückgerufen wird, wenn es versprochen ist.",
    ],
    "sustainability": [
        "Reparierbare Geräte und weniger Verpackung.", "Dass Altgeräte ordentlich recycelt werden.",
        "Zu wissen, dass fair produziert wurde.",
    ],
    "convenience": [
        "Eine App, die einfach funktioniert, und unkomplizierte Retouren.",
        "Online bestellen und in der Filiale abholen können.", "Nichts hinterherlaufen zu müssen.",
    ],
}

STAFF_COMMENTS = {
    "negative": [
        "Viel zu viele Tickets pro Kopf, keine Zeit, jemandem richtig zu helfen.", "Was wir melden, interessiert keinen.",
        "Das Erstattungssystem ist kaputt und die Kunden lassen es an uns aus.", "Die Stimmung ist mies, ständig kündigt jemand.",
        "Vom Management hören wir nie etwas zum Rückstau.",
    ],
    "positive": [
        "Tolles Team, wir helfen uns gegenseitig.", "Meine Chefin unterstützt mich, ich lerne viel.",
        "Ich bin stolz auf unsere Arbeit für die Kunden.", "Der neue Schichtplan funktioniert gut.",
        "Man traut mir Entscheidungen zu.",
    ],
}

KEYWORDS = {
    "delivery_delay": ["liefer", "paket", "zustell", "gewartet", "warte", "verspät", "angekommen", "verzögerung"],
    "refund": ["erstatt", "geld", "gutschrift"],
    "price": ["preis", "teuer", "günstig"],
    "staff_attitude": ["mitarbeiter", "personal", "unfreundlich", "freundlich", "verkäufer", "dame", "nett", "behandelt"],
    "waiting_time": ["warte", "schlange"],
    "app_usability": ["app"],
    "payment_failure": ["zahlung", "bezahl"],
    "product_quality": ["qualität", "kaputt", "defekt", "verarbeit", "funktioniert", "geräusch"],
}

#: Stock replies of the truth ``apology_leaving``: an apology with no way forward (no step, time, owner or answer).
STOCK_APOLOGY = {
    "open": [
        "Wir entschuldigen uns für die Unannehmlichkeiten. Ihr Anliegen wurde notiert.",
        "Wir entschuldigen uns vielmals für die Umstände. Wir haben Ihr Feedback aufgenommen.",
        "Entschuldigen Sie bitte die Umstände. Ihre Rückmeldung wurde vermerkt.",
    ],
    "again": ["Wir bitten nochmals um Entschuldigung für die Unannehmlichkeiten.", "Wir entschuldigen uns, vielen Dank für Ihre Geduld."],
    "close": ["Vielen Dank für Ihr Verständnis.", "Danke für Ihre Nachricht."],
}
