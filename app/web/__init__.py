"""Web helpers shared by every blueprint: sign-in guards, security headers, input guards,
numbers, errors, templating, page cache, locale."""
