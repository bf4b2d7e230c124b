import type Database from '@nocobase/database';
import { DataTypes, snakeCase } from '@nocobase/database';
import { BUILT_IN_TABLE } from '../../constants';

/** A row of the built-in plugin's table: its key is the JWT in `token`, kept in plain text. */
export interface BuiltInRow {
  id: number | string;
  name: string | null;
  roleName: string | null;
  token: string | null;
  createdById: number | string | null;
}

type TableModel = {
  findAll(options: object): Promise<BuiltInRow[]>;
  destroy(options: object): Promise<number>;
  getTableName(): string | { tableName: string; schema: string };
};

const MODEL_NAME = 'keywardBuiltInApiKeys';

/**
 * Reads or writes the built-in plugin's table while that plugin is off (or about to be): with a
 * bare Sequelize model, defined for this one use and removed after it. Not a collection: no
 * other plugin hears of it, and no sync ever alters the table the built-in made. The host's
 * table prefix comes with Sequelize's define hook; its schema and underscored naming are set
 * here as its collections get them. Answers undefined when the table does not exist.
 */
export async function withBuiltInTable<T>(db: Database, use: (table: TableModel) => Promise<T>): Promise<T | undefined> {
  const { underscored, schema } = db.options as { underscored?: boolean; schema?: string };
  const model = db.sequelize.define(
    MODEL_NAME,
    {
      id: { type: DataTypes.BIGINT, primaryKey: true },
      name: DataTypes.STRING,
      roleName: DataTypes.STRING,
      token: DataTypes.TEXT,
      createdById: DataTypes.BIGINT,
    },
    {
      tableName: underscored ? snakeCase(BUILT_IN_TABLE) : BUILT_IN_TABLE,
      schema: db.inDialect('postgres') ? schema : undefined,
      underscored,
      timestamps: false,
    },
  ) as unknown as TableModel;
  try {
    if (!(await db.sequelize.getQueryInterface().tableExists(model.getTableName() as any))) {
      return undefined;
    }
    return await use(model);
  } finally {
    db.sequelize.modelManager.removeModel(model as any);
  }
}

export async function readBuiltInRows(db: Database): Promise<BuiltInRow[]> {
  return (await withBuiltInTable(db, (table) => table.findAll({ raw: true }))) ?? [];
}
