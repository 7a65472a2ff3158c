"""What simulated members say, in English and French (the content is never recorded by
Foyer; it only makes the demo and MESSAGE_CONTENT tests realistic)."""

TEXTS = {
    "en": {
        "chat": [
            "Anyone tried the new release?",
            "Good morning all",
            "Nice work on this!",
            "Here is what I made this week",
            "Thanks for the tips yesterday",
        ],
        "reply": ["Agreed!", "Great point", "Same here", "Thanks, that helps", "Ha, yes"],
        "question": [
            "How do I get started?",
            "Which settings do you use?",
            "Is there a guide somewhere?",
            "Why does this fail for me?",
        ],
        "answer": [
            "Try this first",
            "Here is a guide",
            "I had the same issue: restart",
            "Happy to help, DM me",
        ],
        "intro": ["Hi everyone, I'm new here!", "Hello! Just joined, glad to be here"],
        "welcome": ["Welcome!", "Welcome aboard, tell us about you"],
        "ritual": ["Weekly check-in: what are you working on?"],
    },
    "fr": {
        "chat": [
            "Quelqu'un a testé la nouvelle version ?",
            "Bonjour à tous",
            "Beau travail !",
            "Voici ce que j'ai fait cette semaine",
            "Merci pour les conseils d'hier",
        ],
        "reply": ["D'accord !", "Bien vu", "Pareil", "Merci, ça aide", "Ah oui"],
        "question": [
            "Comment débuter ?",
            "Quels réglages utilisez-vous ?",
            "Il y a un guide quelque part ?",
            "Pourquoi ça échoue chez moi ?",
        ],
        "answer": [
            "Essaie d'abord ça",
            "Voici un guide",
            "Même souci : redémarre",
            "Avec plaisir, écris-moi",
        ],
        "intro": ["Bonjour à tous, je suis nouveau !", "Salut ! Ravi d'être ici"],
        "welcome": ["Bienvenue !", "Bienvenue, parle-nous de toi"],
        "ritual": ["Point de la semaine : sur quoi travaillez-vous ?"],
    },
}
