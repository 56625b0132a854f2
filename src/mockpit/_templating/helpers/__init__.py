"""Template helper families (JSON, XML, random values, dates, text and numbers, fake data), in Python
spelling; the Handlebars and Jinja front ends adapt them to their syntax."""
