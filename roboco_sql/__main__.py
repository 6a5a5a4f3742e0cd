from roboco_sql.cli.run import console

console()
